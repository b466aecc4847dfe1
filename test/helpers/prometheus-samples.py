"""Reads Prometheus text exposition on stdin with the Prometheus project's own parser
(prometheus_client.parser, which raises on anything malformed) and prints every sample
as JSON: name, labels and value (as text, so +Inf and NaN survive JSON)."""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families

out = []
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        out.append({"family": family.name, "type": family.type, "name": s.name, "labels": s.labels, "value": repr(s.value)})
json.dump(out, sys.stdout)
