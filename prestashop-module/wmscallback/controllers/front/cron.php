<?php
/**
 * Deliver due callback events; called by the server's cron with the token shown in the back office.
 *
 * GET index.php?fc=module&module=wmscallback&controller=cron&token=TOKEN[&limit=100]
 * Answers JSON: {"sent": n, "failed": n, "purged": n, "queue": {...}}.
 */
if (!defined('_PS_VERSION_')) {
    exit;
}

class WmscallbackCronModuleFrontController extends ModuleFrontController
{
    public function postProcess()
    {
        header('Content-Type: application/json; charset=utf-8');
        header('Cache-Control: no-store');
        header('X-Robots-Tag: noindex');

        $expected = (string) Configuration::getGlobalValue(Wmscallback::CONFIG_CRON_TOKEN);
        $token = (string) Tools::getValue('token');
        if ($expected === '' || !hash_equals($expected, $token)) {
            http_response_code(403);
            echo json_encode(['error' => 'Wrong or missing token: copy the cron URL from the module\'s configuration page.']);
            exit;
        }

        $limit = (int) Tools::getValue('limit', 100);
        $limit = max(1, min(500, $limit));
        try {
            echo json_encode($this->module->runCron($limit));
        } catch (Throwable $e) {
            http_response_code(500);
            echo json_encode(['error' => get_class($e) . ': ' . $e->getMessage()]);
        }
        exit;
    }
}
