"""Engine CPU per bulk item for demhost's bulk request parameters (issue 17).

Sends the same 1,000-item bulk request REQS times per variant (no
parameters, demhost's filter_path, filter_path with timeout=30s, timeout
only), the variants in turn for ROUNDS counted rounds after one warm-up,
and reads the engine's CPU from /proc of the process listening on the
URL's port (a local engine). OP "delete" deletes missing ids, so that the
answer is most of the engine's work; "index" indexes 1,000 small
documents again and again.

    python3 bench/python/bulkparams.py http://127.0.0.1:9200 [delete|index] [REQS] [ROUNDS]
"""
import json, os, sys, time, urllib.request, subprocess, statistics

url = sys.argv[1]; port = url.rsplit(':', 1)[1]
op = sys.argv[2] if len(sys.argv) > 2 else 'delete'
reqs = int(sys.argv[3]) if len(sys.argv) > 3 else 100
rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 5

def pid_of(port):
    out = subprocess.run(['ss', '-ltnpH', f'sport = :{port}'], capture_output=True, text=True).stdout
    return int(out.split('pid=')[1].split(',')[0])

pid = pid_of(port)
hz = os.sysconf('SC_CLK_TCK')
def cpu():
    f = open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()
    return (int(f[11]) + int(f[12])) / hz

def req(method, path, body=None, ctype='application/json'):
    r = urllib.request.Request(url + path, data=body, method=method, headers={'Content-Type': ctype})
    with urllib.request.urlopen(r) as resp:
        return resp.read()

idx = 'fpbench'
try: req('DELETE', '/' + idx)
except Exception: pass
req('PUT', '/' + idx, json.dumps({'settings': {'number_of_shards': 1, 'number_of_replicas': 0}}).encode())
lines = []
doc = json.dumps({'title': 'a movie title here', 'year': 1999, 'genres': ['drama', 'comedy'], 'rating': 7.5})
for i in range(1000):
    if op == 'delete':
        lines.append(json.dumps({'delete': {'_id': f'missing-{i}'}}))
    else:
        lines.append(json.dumps({'index': {'_id': str(i)}})); lines.append(doc)
body = ('\n'.join(lines) + '\n').encode()
variants = {
    'none': '',
    'fp': '?filter_path=errors,items.*.error,items.*.status',
    'fp+timeout': '?filter_path=errors,items.*.error,items.*.status&timeout=30s',
    'timeout': '?timeout=30s',
}
res = {k: [] for k in variants}
sizes = {}
for rnd in range(rounds + 1):
    for k, q in variants.items():
        c0 = cpu(); t0 = time.time()
        for _ in range(reqs):
            out = req('POST', f'/{idx}/_bulk' + q, body, 'application/x-ndjson')
        c1 = cpu()
        sizes[k] = len(out)
        if rnd > 0:
            res[k].append((c1 - c0) / reqs / 1000 * 1e6)
for k, v in res.items():
    print(f'{k:12s} engine CPU µs/item median {statistics.median(v):6.1f}  [{min(v):.1f}–{max(v):.1f}]  answer {sizes[k]} bytes')
req('DELETE', '/' + idx)
