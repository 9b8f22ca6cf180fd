"""`tongban dev` for a script's test: a federation in a fresh state directory of its own, on
free ports, so it never meets a developer's `tongban dev` or another test's data.

    with DevFederation(tongban, ["rizhao", "qingdao"], state_dir, log_path) as federation:
        federation.nodes["rizhao"]["url"], federation.token("rizhao", "rizhao-wulian")
"""
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_ports(count, low, high):
    """`count` consecutive ports in [low, high) that nothing listens on now."""
    for _ in range(200):
        first = random.randrange(low, high - count)
        sockets = []
        try:
            for port in range(first, first + count):
                probe = socket.socket()
                sockets.append(probe)
                probe.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
        finally:
            for probe in sockets:
                probe.close()
    raise SystemExit("no free ports")


class DevFederation:
    """Starts `tongban dev --nodes …` on entry (waiting until every node is ready) and stops
    it with Ctrl-C on exit. `nodes` maps each node id to its entry of env.json."""

    def __init__(self, tongban, nodes, state_dir, log_path, base_port=0, pg_port=0):
        self.command = [tongban, "dev", "--nodes", ",".join(nodes), "--state-dir", state_dir,
                        "--base-port", str(base_port or free_ports(len(nodes), 18000, 20000)),
                        "--pg-port", str(pg_port or free_ports(1, 54350, 54450))]
        self.state_dir = state_dir
        self.log_path = log_path
        self.process = None
        self.nodes = {}

    def __enter__(self):
        shutil.rmtree(self.state_dir, ignore_errors=True)
        self.process = subprocess.Popen(self.command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open(self.log_path, "w"))
        env_path = os.path.join(self.state_dir, "dev", "env.json")
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"tongban dev exited with {self.process.returncode}: {self.log_tail()}")
            if os.path.exists(env_path):
                try:
                    nodes = json.load(open(env_path))["nodes"]
                    if all(urllib.request.urlopen(node["url"] + "/ready", timeout=2).status == 200 for node in nodes):
                        self.nodes = {node["id"]: node for node in nodes}
                        return self
                except Exception:
                    pass  # env.json half written, or a node not listening yet
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise SystemExit(f"tongban dev: not every node was ready within 120 s: {self.log_tail()}")

    def __exit__(self, *_):
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def token(self, node, centre, kind="token"):
        """A staff (`token`) or `supervisorToken` of a centre of `node`."""
        return next(c[kind] for c in self.nodes[node]["centres"] if c["id"] == centre)

    def is_running(self):
        return self.process.poll() is None

    def log_tail(self):
        return open(self.log_path).read()[-1500:]
