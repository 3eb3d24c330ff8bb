"""The README's capability matrix, generated from what each registered provider declares."""

from integrations.providers import registry

ARROWS = {"out": "out", "in": "in", "both": "out + in"}


def capability_matrix_markdown(providers=None):
    providers = providers if providers is not None else registry.all()
    if not providers:
        return "_No provider is registered yet._\n"
    record_types = sorted({r for p in providers for r in p.capabilities.records})
    header = "| record | " + " | ".join(p.name for p in providers) + " |"
    rule = "|---|" + "---|" * len(providers)
    rows = [
        f"| {record} | " + " | ".join(
            ARROWS.get(p.capabilities.records.get(record), "—") for p in providers) + " |"
        for record in record_types
    ]
    inbound = " | ".join(p.capabilities.inbound for p in providers)
    rows.append(f"| changes come back by | {inbound} |")
    auth = " | ".join(", ".join(p.capabilities.auth) or "—" for p in providers)
    rows.append(f"| connect with | {auth} |")
    limits = []
    for p in providers:
        policy = p.rate_limit
        limits.append(f"{policy.limit} per {policy.window_seconds:g} s" if policy else "—")
    rows.append("| rate limit we keep to | " + " | ".join(limits) + " |")
    return "\n".join([header, rule, *rows]) + "\n"
