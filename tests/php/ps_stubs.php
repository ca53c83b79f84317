<?php
/**
 * The few PrestaShop classes wmscallback.php touches in its hooks, faked for the command line.
 *
 * Only the hook and delivery path runs on these; the configuration page, the Db queue and the
 * cron controller need a real shop.
 */
define('_DB_PREFIX_', 'ps_');
define('_MYSQL_ENGINE_', 'InnoDB');

class Module
{
    // The properties the real Module declares and wmscallback.php sets.
    public $name;
    public $tab;
    public $version;
    public $author;
    public $need_instance;
    public $ps_versions_compliancy;
    public $bootstrap;
    public $displayName;
    public $description;
    public $confirmUninstall;
    public $id = 1;
    public $_errors = [];
    public $context;

    public function __construct()
    {
    }

    public function l($string)
    {
        return $string;
    }
}

class Configuration
{
    /** @var array<string, mixed> global values; tests set them directly */
    public static $values = [];

    public static function get($key, $idLang = null, $idShopGroup = null, $idShop = null)
    {
        return isset(self::$values[$key]) ? self::$values[$key] : false;
    }
}

class Shop
{
    public static function getGroupFromShop($idShop, $asId = true)
    {
        return 1;
    }
}

class Db
{
    /** @var array<int, int> id_order => id_shop */
    public static $orderShops = [];

    public static function getInstance()
    {
        return new self();
    }

    public function getValue($sql)
    {
        if (preg_match('/FROM `ps_orders` WHERE `id_order` = (\d+)$/', $sql, $match)) {
            return isset(self::$orderShops[(int) $match[1]]) ? self::$orderShops[(int) $match[1]] : false;
        }
        throw new LogicException('unexpected query in the stub: ' . $sql);
    }
}

class PrestaShopLogger
{
    /** @var string[] */
    public static $messages = [];

    public static function addLog($message, $severity = 1, $errorCode = null, $objectType = null, $objectId = null, $allowDuplicate = false)
    {
        self::$messages[] = $message;
    }
}

class OrderState
{
    public $id;

    public function __construct($id)
    {
        $this->id = $id;
    }
}

class Order
{
    public $id;
    public $current_state;
    public $id_shop;

    public function __construct($id, $state, $idShop)
    {
        $this->id = $id;
        $this->current_state = $state;
        $this->id_shop = $idShop;
    }
}

class OrderReturn
{
    /** @var array<int, array{id_order: int, state: int, details: array}> returns the test creates */
    public static $rows = [];

    public $id;
    public $id_order;
    public $state;

    public function __construct($id = null)
    {
        if ($id !== null && isset(self::$rows[(int) $id])) {
            $this->id = (int) $id;
            $this->id_order = self::$rows[(int) $id]['id_order'];
            $this->state = self::$rows[(int) $id]['state'];
        }
    }

    public static function getOrdersReturnDetail($idOrderReturn)
    {
        return isset(self::$rows[(int) $idOrderReturn]) ? self::$rows[(int) $idOrderReturn]['details'] : [];
    }
}
