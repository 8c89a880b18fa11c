"""json_dumps: serialise nested documents with the standard library's json.

In the spirit of pyperformance's json_dumps, written here from scratch. Most
of the work is in the json module (C accelerator and stdlib Python), which
ctgen-tracer does not record by default: this measures what unrecorded code
costs. argv[1]: number of rounds.
"""
import json
import sys

DEFAULT_SIZE = 800   # about 0.4 s untraced (CPython 3.12, 2-core EPYC)
CALLGRIND_SIZE = 12   # bench/callgrind.py: a recording of a few seconds under valgrind


def make_documents():
    docs = []
    for i in range(20):
        docs.append({
            "id": i,
            "name": "item-%d" % i,
            "tags": ["t%d" % (i * k % 7) for k in range(8)],
            "price": i * 1.25,
            "active": i % 3 == 0,
            "dims": {"w": i, "h": i * 2, "d": [i, i + 1, i + 2]},
            "notes": None if i % 2 else "x" * (i + 1),
            "unicode": "caf\u00e9 \u2603 %d" % i,
        })
    return docs


def one_round(docs):
    total = 0
    for doc in docs:
        total += len(json.dumps(doc))
        total += len(json.dumps(doc, sort_keys=True, indent=2))
    total += len(json.dumps(docs, separators=(",", ":")))
    return total


if __name__ == "__main__":
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SIZE
    docs = make_documents()
    check = 0
    for _ in range(rounds):
        check += one_round(docs)
    print("json_dumps", rounds, check)
