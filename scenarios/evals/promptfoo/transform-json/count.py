"""A transform: the output (a JSON array) as the count of its items."""

import json


def count_items(output, context):
    try:
        return str(len(json.loads(output)))
    except ValueError:
        return "not json"
