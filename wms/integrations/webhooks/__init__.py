"""Signed webhooks to the merchant's other systems (ERP, OMS, iPaaS), sent through the outbox.

`events` names every event in one place; `models` holds the endpoints and the worker's
watermarks; `services` emits events (in the caller's transaction), derives the ones read from
the ledger and the order history, and delivers them. docs/webhooks.md is the contract.
"""
