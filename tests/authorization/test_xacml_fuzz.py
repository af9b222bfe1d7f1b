"""Whatever JSON arrives, parsing either yields questions or a clear XacmlError — never anything else."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from authorization import xacml

KEYS = [
    "Request",
    "request",
    "AccessSubject",
    "Action",
    "Resource",
    "Attribute",
    "AttributeId",
    "Value",
    "Id",
    "MultiRequests",
    "RequestReference",
    "ReferenceId",
    "urn:altinn:systemuser:uuid",
]
VALUES = [
    "urn:altinn:systemuser:uuid",
    "urn:oasis:names:tc:xacml:1.0:action:action-id",
    "urn:altinn:resource",
    "urn:altinn:organization:identifier-no",
    "urn:altinn:party:uuid",
    "read",
    "310000001",
    "974761076",
    "0b0e1d6a-4a43-4c4e-9c53-2c0f6a1d2b11",
    "",
]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.sampled_from(VALUES) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.sampled_from(KEYS) | st.text(), children, max_size=5)
    ),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_parsing_any_json_gives_questions_or_a_clear_error(body):
    json.dumps(body)  # only JSON-representable input, as the view would see
    try:
        questions = xacml.parse(body)
    except xacml.XacmlError as error:
        assert error.detail
        return
    assert questions and all(isinstance(q, xacml.Question) for q in questions)
