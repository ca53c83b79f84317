<?php
/**
 * Webservice resource "wms_relay_points": GET /api/wms_relay_points/<id_order> answers the
 * relay point the customer chose for that order ({"wms_relay_point": {...}}, module null when
 * none). Registered by Wmscallback::hookAddWebserviceResources; the merchant ticks GET on
 * wms_relay_points for the warehouse's webservice key.
 */
if (!defined('_PS_VERSION_')) {
    exit;
}

class WebserviceSpecificManagementWmsRelayPoints implements WebserviceSpecificManagementInterface
{
    /** @var WebserviceOutputBuilder */
    protected $objOutput;
    /** @var WebserviceRequest */
    protected $wsObject;
    /** @var array */
    protected $urlSegment = [];
    /** @var string */
    protected $output = '';

    public function setObjectOutput(WebserviceOutputBuilderCore $obj)
    {
        $this->objOutput = $obj;

        return $this;
    }

    public function getObjectOutput()
    {
        return $this->objOutput;
    }

    public function setWsObject(WebserviceRequestCore $obj)
    {
        $this->wsObject = $obj;

        return $this;
    }

    public function getWsObject()
    {
        return $this->wsObject;
    }

    public function setUrlSegment($segments)
    {
        $this->urlSegment = $segments;

        return $this;
    }

    public function getUrlSegment()
    {
        return $this->urlSegment;
    }

    public function manage()
    {
        $idOrder = isset($this->urlSegment[1]) ? (int) $this->urlSegment[1] : 0;
        $idCart = $idOrder > 0 ? (int) Db::getInstance()->getValue(
            'SELECT `id_cart` FROM `' . _DB_PREFIX_ . 'orders` WHERE `id_order` = ' . $idOrder
        ) : 0;
        if ($idCart <= 0) {
            $this->wsObject->setError(404, 'Order ' . $idOrder . ' does not exist', 92);

            return;
        }
        $db = Db::getInstance();
        $relay = WmsRelayPoint::forCart($idCart, function ($sql) use ($db) {
            return $db->executeS($sql);
        }, _DB_PREFIX_);
        $this->output = json_encode(['wms_relay_point' => array_merge(
            ['id_order' => $idOrder, 'module' => null, 'relay_point_id' => null, 'country' => null,
             'product_code' => null, 'mobile_phone' => null],
            $relay ?: []
        )]);
    }

    public function getContent()
    {
        return $this->output;
    }
}
