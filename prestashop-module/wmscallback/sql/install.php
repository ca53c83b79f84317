<?php
/**
 * Return the queries that create the module's event queue table.
 */
if (!defined('_PS_VERSION_')) {
    exit;
}

return [
    'CREATE TABLE IF NOT EXISTS `' . _DB_PREFIX_ . 'wmscallback_event` (
        `id` INT UNSIGNED NOT NULL AUTO_INCREMENT,
        `event_id` CHAR(36) NOT NULL,
        `event` VARCHAR(32) NOT NULL,
        `id_order` INT UNSIGNED NOT NULL,
        `id_shop` INT UNSIGNED NOT NULL DEFAULT 1,
        `payload` TEXT NOT NULL,
        `attempts` INT UNSIGNED NOT NULL DEFAULT 0,
        `next_attempt_at` DATETIME NULL DEFAULT NULL,
        `last_error` VARCHAR(255) NULL DEFAULT NULL,
        `created_at` DATETIME NOT NULL,
        `sent_at` DATETIME NULL DEFAULT NULL,
        PRIMARY KEY (`id`),
        UNIQUE KEY `event_id` (`event_id`),
        KEY `due` (`sent_at`, `next_attempt_at`),
        KEY `id_order` (`id_order`)
    ) ENGINE=' . _MYSQL_ENGINE_ . ' DEFAULT CHARSET=utf8mb4',
];
