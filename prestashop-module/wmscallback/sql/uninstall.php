<?php
/**
 * Return the queries that drop the module's event queue table.
 */
if (!defined('_PS_VERSION_')) {
    exit;
}

return [
    'DROP TABLE IF EXISTS `' . _DB_PREFIX_ . 'wmscallback_event`',
];
