"""What the OpenAPI schema states beyond what drf-spectacular reads off the serializers."""

from __future__ import annotations

from typing import Any

_REF = "#/components/schemas/"


def closed_request_bodies(result: dict[str, Any], **_: Any) -> dict[str, Any]:
    """A drf-spectacular postprocessing hook: every JSON request body, and the objects nested
    in it, says ``additionalProperties: false``, as the API refuses fields it does not know
    (``ClosedSerializer``, ``verdict_parse``, the batch view); otherwise a client (and
    schemathesis) would take an extra field for valid."""
    schemas = result.get("components", {}).get("schemas", {})
    pending = [
        op["requestBody"]["content"]["application/json"]["schema"]
        for ops in result.get("paths", {}).values()
        for op in ops.values()
        if isinstance(op, dict)
        and "application/json" in op.get("requestBody", {}).get("content", {})
    ]
    seen: set[str] = set()
    while pending:
        node = pending.pop()
        if not isinstance(node, dict):
            continue
        ref = node.get("$ref", "")
        if ref.startswith(_REF) and ref[len(_REF) :] not in seen:
            name = ref[len(_REF) :]
            seen.add(name)
            component = schemas.get(name, {})
            if component.get("type") == "object" and "properties" in component:
                component["additionalProperties"] = False
            pending.extend(component.get("properties", {}).values())
        pending.append(node.get("items"))
        for key in ("allOf", "oneOf", "anyOf"):
            pending.extend(node.get(key, []))
    return result
