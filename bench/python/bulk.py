"""Contender C of the demhost bulk benchmark: helpers.parallel_bulk.

Reads the corpus file (one {"id":...,"source":...} line per document) into
memory before the timer, then indexes it with the official Python client of
the engine: elasticsearch-py 7.17 for Elasticsearch, opensearch-py for
OpenSearch. Each source is passed as the pre-serialized JSON string from the
corpus, so the client sends the same bytes as every other contender and
spends no time encoding. Prints one JSON line: docs, wall_ns, cpu_ns and, given --engine-pid,
engine_cpu_ns (the engine process's CPU over the same span).
"""

import argparse
import json
import os
import resource
import sys
import time
from json.decoder import scanstring

PREFIX = '{"id":'
SOURCE_KEY = ',"source":'


def read_corpus(path):
    docs = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.startswith(PREFIX):
                raise ValueError("malformed corpus line in %s: %.80s" % (path, line))
            doc_id, end = scanstring(line, len(PREFIX) + 1)
            if not line.startswith(SOURCE_KEY, end):
                raise ValueError("malformed corpus line in %s: %.80s" % (path, line))
            docs.append((doc_id, line[end + len(SOURCE_KEY):-1]))
    return docs


def cpu_ns():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return int((ru.ru_utime + ru.ru_stime) * 1e9)


def engine_cpu_ns(pid):
    """CPU time of the engine process so far, from /proc/PID/stat, or None."""
    if pid <= 0:
        return None
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat[stat.rindex(b")") + 1:].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15
    return ticks * 1_000_000_000 // os.sysconf("SC_CLK_TCK")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--index", required=True)
    p.add_argument("--corpus", required=True)
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

    docs = read_corpus(a.corpus)

    def actions():
        for doc_id, source in docs:
            yield {"_index": a.index, "_id": doc_id, "_source": source}

    e0 = engine_cpu_ns(a.engine_pid)
    c0, t0 = cpu_ns(), time.perf_counter_ns()
    n = 0
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
