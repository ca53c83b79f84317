{**
 * Recent callback events and the cron URL, under the settings form.
 *}
<div class="panel" id="wmscallback-events">
  <div class="panel-heading">
    <i class="icon-exchange"></i> {l s='Recent callbacks' mod='wmscallback'}
    <span class="badge">{$wmscallback_counts.pending|intval} {l s='pending' mod='wmscallback'}</span>
    <span class="badge{if $wmscallback_counts.abandoned} badge-danger{/if}">{$wmscallback_counts.abandoned|intval} {l s='given up' mod='wmscallback'}</span>
  </div>
  <p>
    {l s='Failed callbacks are retried with growing delays (1 min up to 24 h), %d attempts in all, then kept here as "given up". The warehouse also polls the shop, so a failed callback only delays the warehouse, it loses nothing.' sprintf=[$wmscallback_max_attempts] mod='wmscallback'}
  </p>
  <p>
    {l s='Retries run when this URL is called: have the server cron call it every 5 minutes.' mod='wmscallback'}<br>
    <code>{$wmscallback_cron_url|escape:'html':'UTF-8'}</code>
  </p>
  {if $wmscallback_rows}
    <table class="table">
      <thead>
        <tr>
          <th>{l s='Created' mod='wmscallback'}</th>
          <th>{l s='Event' mod='wmscallback'}</th>
          <th>{l s='Order' mod='wmscallback'}</th>
          <th>{l s='Attempts' mod='wmscallback'}</th>
          <th>{l s='Status' mod='wmscallback'}</th>
          <th>{l s='Next attempt' mod='wmscallback'}</th>
          <th>{l s='Last error' mod='wmscallback'}</th>
        </tr>
      </thead>
      <tbody>
        {foreach from=$wmscallback_rows item=row}
          <tr>
            <td>{$row.created_at|escape:'html':'UTF-8'}</td>
            <td>{$row.event|escape:'html':'UTF-8'}</td>
            <td>{$row.id_order|intval}</td>
            <td>{$row.attempts|intval}</td>
            <td>
              {if $row.status == 'sent'}<span class="label label-success">{l s='sent' mod='wmscallback'}</span>
              {elseif $row.status == 'abandoned'}<span class="label label-danger">{l s='given up' mod='wmscallback'}</span>
              {else}<span class="label label-warning">{l s='pending' mod='wmscallback'}</span>{/if}
            </td>
            <td>{$row.next_attempt_at|escape:'html':'UTF-8'}</td>
            <td>{$row.last_error|escape:'html':'UTF-8'}</td>
          </tr>
        {/foreach}
      </tbody>
    </table>
  {else}
    <p>{l s='No callback yet. Change the state of an order to send one.' mod='wmscallback'}</p>
  {/if}
  {if $wmscallback_counts.abandoned}
    <form method="post" action="{$wmscallback_action|escape:'html':'UTF-8'}">
      <button type="submit" name="submitWmscallbackRetry" class="btn btn-default">
        <i class="icon-refresh"></i> {l s='Retry failed events' mod='wmscallback'}
      </button>
    </form>
  {/if}
</div>
