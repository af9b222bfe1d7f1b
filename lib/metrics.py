"""Prometheus metric definitions, counted in the process as requests happen (tokens, PDP decisions,
vendor API responses). `GET /metrics` itself, with the gauges read from the database, is
config/metrics.py.

Labels take values from small fixed sets only (error codes, decisions, status classes and statuses),
never ids, org numbers or client ids: every label value is a time series kept for ever.
"""

from prometheus_client import Counter, Histogram

TOKENS_ISSUED = Counter("systembruker_tokens_issued", "Access tokens issued by /token")
TOKENS_REFUSED = Counter("systembruker_tokens_refused", "Token requests refused, by OAuth error code", ["error"])
PDP_DECISIONS = Counter("systembruker_pdp_decisions", "PDP decisions, by result", ["decision"])
PDP_DURATION = Histogram(
    "systembruker_pdp_request_duration_seconds",
    "Time to answer a call to the PDP (all its decisions), in the web process",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
TOKEN_EXCHANGES = Counter(
    "systembruker_token_exchanges",
    "Token exchanges (GET exchange/maskinporten, exchange/id-porten, refresh), by kind and outcome",
    ["kind", "outcome"],
)
VENDOR_API_RESPONSES = Counter(
    "systembruker_vendor_api_responses", "Vendor API responses, by status class", ["status_class"]
)

WEBHOOK_DELIVERIES = Counter(
    "systembruker_webhook_delivery_attempts",
    "Webhook delivery attempts, by outcome (succeeded, retrying, failed)",
    ["outcome"],
)
WEBHOOK_OUTCOMES = ("succeeded", "retrying", "failed")

DECISIONS = ("Permit", "Deny", "NotApplicable", "Indeterminate")
STATUS_CLASSES = ("2xx", "3xx", "4xx", "5xx")
EXCHANGE_KINDS = ("maskinporten", "id-porten", "refresh")
EXCHANGE_OUTCOMES = ("issued", "refused")
# Children bound once: the hot paths only look them up in a dict.
_decision = {decision: PDP_DECISIONS.labels(decision) for decision in DECISIONS}
_webhook_outcome = {outcome: WEBHOOK_DELIVERIES.labels(outcome) for outcome in WEBHOOK_OUTCOMES}
_status_class = {cls[0]: VENDOR_API_RESPONSES.labels(cls) for cls in STATUS_CLASSES}
_exchange = {(k, o): TOKEN_EXCHANGES.labels(k, o) for k in EXCHANGE_KINDS for o in EXCHANGE_OUTCOMES}


def count_decisions(decisions: list) -> None:
    for decision in decisions:
        child = _decision.get(decision.decision)  # a result outside the set is not counted, never a 500
        if child is not None:
            child.inc()


def count_indeterminate(how_many: int) -> None:
    _decision["Indeterminate"].inc(how_many)


def count_vendor_api_response(status: str) -> None:
    child = _status_class.get(status[:1])
    if child is not None:
        child.inc()


def count_webhook_delivery(outcome: str) -> None:
    child = _webhook_outcome.get(outcome)
    if child is not None:
        child.inc()


def count_token_exchange(kind: str, outcome: str) -> None:
    child = _exchange.get((kind, outcome))
    if child is not None:
        child.inc()
