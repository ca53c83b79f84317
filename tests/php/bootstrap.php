<?php
/**
 * Load the module's plain classes outside PrestaShop, for the command-line test scripts.
 */
if (!defined('_PS_VERSION_')) {
    // The module's files refuse to run without it, as PrestaShop's validator requires.
    define('_PS_VERSION_', '8.1.0');
}
error_reporting(E_ALL);
ini_set('display_errors', 'stderr');
set_error_handler(function ($severity, $message, $file, $line) {
    // Any notice or warning in module code fails the test instead of scrolling by.
    throw new ErrorException($message, 0, $severity, $file, $line);
});

$classes = __DIR__ . '/../../prestashop-module/wmscallback/classes/';
foreach (['WmsCallbackSigner', 'WmsCallbackPayload', 'WmsCallbackRetryPolicy', 'WmsCallbackSender', 'WmsCallbackStore', 'WmsCallbackDispatcher'] as $class) {
    require_once $classes . $class . '.php';
}
require_once __DIR__ . '/MemoryStore.php';

/**
 * Read the JSON argument the pytest side passes as argv[1].
 *
 * @return array
 */
function read_arguments(array $argv)
{
    if (!isset($argv[1])) {
        fwrite(STDERR, "usage: php " . basename($argv[0]) . " '<json arguments>'\n");
        exit(2);
    }
    $args = json_decode($argv[1], true);
    if (!is_array($args)) {
        fwrite(STDERR, "argument is not a JSON object\n");
        exit(2);
    }

    return $args;
}
