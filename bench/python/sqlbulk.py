"""Contender C of the sqltable section of the demhost benchmark.

What a Python user writes to index a Postgres table: psycopg 3 with a
server-side (named) cursor, so the rows stream in chunks instead of
landing in memory at once, into helpers.parallel_bulk of the engine's
official client (elasticsearch-py 7.17 or opensearch-py). Postgres renders
each row as JSON text (row_to_json(t)::text), passed to the client as a
pre-serialized string, as every other contender of the section sends it.
Prints one JSON line: docs, wall_ns, cpu_ns and, given --engine-pid,
engine_cpu_ns.
"""

import argparse
import json
import sys
import time

import psycopg

from bulk import cpu_ns, engine_cpu_ns


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--index", required=True)
    p.add_argument("--dsn", required=True)
    p.add_argument("--table", required=True, help="quoted table name")
    p.add_argument("--workers", type=int, required=True)
    p.add_argument("--batch", type=int, required=True)
    p.add_argument("--client", choices=["elasticsearch", "opensearch"], required=True)
    p.add_argument("--engine-pid", type=int, default=0)
    a = p.parse_args()

    if a.client == "elasticsearch":
        from elasticsearch import Elasticsearch, helpers

        es = Elasticsearch([a.url], timeout=300, maxsize=max(a.workers, 2))
    else:
        from opensearchpy import OpenSearch, helpers

        es = OpenSearch([a.url], timeout=300, pool_maxsize=max(a.workers, 2))

    e0 = engine_cpu_ns(a.engine_pid)
    c0, t0 = cpu_ns(), time.perf_counter_ns()
    n = 0
    with psycopg.connect(a.dsn) as conn:
        with conn.cursor(name="demhost_bench") as cur:
            cur.itersize = a.batch * 2
            cur.execute("SELECT t.id::text, row_to_json(t)::text FROM %s t" % a.table)

            def actions():
                for doc_id, source in cur:
                    yield {"_index": a.index, "_id": doc_id, "_source": source}

            for ok, item in helpers.parallel_bulk(
                es, actions(), thread_count=a.workers, chunk_size=a.batch,
                max_chunk_bytes=1 << 30, raise_on_error=True,
            ):
                if not ok:
                    print("python: failed: %s" % (item,), file=sys.stderr)
                    return 1
                n += 1
    es.indices.refresh(index=a.index)
    wall, cpu = time.perf_counter_ns() - t0, cpu_ns() - c0
    e1 = engine_cpu_ns(a.engine_pid)

    report = {"docs": n, "wall_ns": wall, "cpu_ns": cpu}
    if e0 is not None and e1 is not None:
        report["engine_cpu_ns"] = e1 - e0
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
