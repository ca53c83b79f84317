<?php
/**
 * POST one signed callback over HTTP with a hard timeout; never throw, never follow redirects.
 *
 * Plain PHP, no PrestaShop class. Uses curl (which PrestaShop requires) and falls back on
 * PHP's http stream wrapper where curl is missing, e.g. a bare PHP command line.
 */
if (!defined('_PS_VERSION_')) {
    exit;
}

class WmsCallbackSender
{
    const USER_AGENT = 'wmscallback/1.0.0 (PrestaShop)';

    /**
     * Return an error message for an unusable callback URL, or null when it is fine.
     *
     * @param mixed $url
     *
     * @return string|null
     */
    public static function validateUrl($url)
    {
        if (!is_string($url) || trim($url) === '') {
            return 'Enter the callback URL of the warehouse, e.g. https://wms.example.com/webhooks/prestashop/default.';
        }
        if (strlen($url) > 2048 || filter_var($url, FILTER_VALIDATE_URL) === false) {
            return 'The callback URL is not a valid URL.';
        }
        $parts = parse_url($url);
        $scheme = isset($parts['scheme']) ? strtolower($parts['scheme']) : '';
        if ($scheme !== 'https' && $scheme !== 'http') {
            return 'The callback URL must start with https:// (or http:// on a private network).';
        }
        if (empty($parts['host'])) {
            return 'The callback URL has no host name.';
        }
        if (isset($parts['fragment'])) {
            return 'The callback URL must not contain a #fragment.';
        }

        return null;
    }

    /**
     * Send the request; return ['ok' => bool, 'status' => int (0 when no answer), 'error' => string|null].
     *
     * @param string $url
     * @param array<string, string> $headers
     * @param string $body
     * @param int $timeoutMs whole-request budget, connection included
     * @param string|null $transport 'curl', 'stream' or null for the best available
     *
     * @return array
     */
    public static function post($url, array $headers, $body, $timeoutMs, $transport = null)
    {
        $timeoutMs = max(100, (int) $timeoutMs);
        if ($transport === null) {
            $transport = function_exists('curl_init') ? 'curl' : 'stream';
        }
        try {
            if ($transport === 'curl') {
                return self::postWithCurl($url, $headers, $body, $timeoutMs);
            }

            return self::postWithStream($url, $headers, $body, $timeoutMs);
        } catch (Throwable $e) {
            return self::result(0, get_class($e) . ': ' . $e->getMessage());
        }
    }

    private static function postWithCurl($url, array $headers, $body, $timeoutMs)
    {
        $handle = curl_init($url);
        curl_setopt_array($handle, [
            CURLOPT_POST => true,
            CURLOPT_POSTFIELDS => $body,
            CURLOPT_HTTPHEADER => self::headerLines($headers),
            CURLOPT_USERAGENT => self::USER_AGENT,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_FOLLOWLOCATION => false,
            CURLOPT_TIMEOUT_MS => $timeoutMs,
            CURLOPT_CONNECTTIMEOUT_MS => $timeoutMs,
            // Without this, libcurl's DNS alarm() ignores timeouts under one second.
            CURLOPT_NOSIGNAL => true,
            CURLOPT_SSL_VERIFYPEER => true,
            CURLOPT_SSL_VERIFYHOST => 2,
        ]);
        if (defined('CURLOPT_PROTOCOLS')) {
            curl_setopt($handle, CURLOPT_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS);
        }
        $response = curl_exec($handle);
        $status = (int) curl_getinfo($handle, CURLINFO_HTTP_CODE);
        $error = $response === false ? 'curl error ' . curl_errno($handle) . ': ' . curl_error($handle) : null;
        $location = (string) curl_getinfo($handle, CURLINFO_REDIRECT_URL);
        curl_close($handle);
        if ($error !== null) {
            return self::result(0, $error);
        }

        return self::judge($status, (string) $response, $location);
    }

    private static function postWithStream($url, array $headers, $body, $timeoutMs)
    {
        $lines = self::headerLines($headers);
        $lines[] = 'User-Agent: ' . self::USER_AGENT;
        $lines[] = 'Content-Length: ' . strlen($body);
        $lines[] = 'Connection: close';
        $context = stream_context_create([
            'http' => [
                'method' => 'POST',
                'header' => implode("\r\n", $lines),
                'content' => $body,
                // Covers the connection and each read; the stream wrapper has no total budget.
                'timeout' => $timeoutMs / 1000,
                'ignore_errors' => true,
                'follow_location' => 0,
                'protocol_version' => 1.1,
            ],
        ]);
        $warning = null;
        set_error_handler(function ($severity, $message) use (&$warning) {
            $warning = $message;

            return true;
        });
        $started = microtime(true);
        try {
            $http_response_header = null;
            $response = file_get_contents($url, false, $context);
            $responseHeaders = function_exists('http_get_last_response_headers')
                ? http_get_last_response_headers()
                : $http_response_header;
        } finally {
            restore_error_handler();
        }
        if (!is_array($responseHeaders) || !$responseHeaders) {
            $elapsedMs = (int) round((microtime(true) - $started) * 1000);
            // The stream wrapper only says "HTTP request failed!" when its timeout hits.
            if ($elapsedMs >= $timeoutMs * 0.9) {
                return self::result(0, sprintf('Timed out after %d ms without an answer from the warehouse', $elapsedMs));
            }

            return self::result(0, $warning !== null ? $warning : 'No answer from the warehouse');
        }
        $status = 0;
        $location = '';
        foreach ($responseHeaders as $line) {
            if (preg_match('#^HTTP/\S+\s+(\d{3})#', $line, $match)) {
                $status = (int) $match[1];
            } elseif (stripos($line, 'Location:') === 0) {
                $location = trim(substr($line, 9));
            }
        }

        return self::judge($status, $response === false ? '' : $response, $location);
    }

    private static function judge($status, $response, $location)
    {
        if ($status >= 200 && $status < 300) {
            return self::result($status, null);
        }
        if ($status >= 300 && $status < 400) {
            return self::result($status, sprintf('HTTP %d redirect to %s not followed: put the final URL in the module settings', $status, $location !== '' ? $location : '(no Location)'));
        }
        $excerpt = trim(preg_replace('/\s+/', ' ', substr(strip_tags($response), 0, 200)));

        return self::result($status, 'HTTP ' . $status . ($excerpt !== '' ? ': ' . $excerpt : ''));
    }

    private static function headerLines(array $headers)
    {
        $lines = [];
        foreach ($headers as $name => $value) {
            $lines[] = $name . ': ' . str_replace(["\r", "\n"], '', (string) $value);
        }
        // curl would otherwise send "Expect: 100-continue" and wait for the answer to it.
        $lines[] = 'Expect:';

        return $lines;
    }

    private static function result($status, $error)
    {
        return ['ok' => $error === null, 'status' => (int) $status, 'error' => $error];
    }
}
