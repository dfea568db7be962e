"""Where a mail worker's CPU goes, by stage, for benchmarks/mail.py and anyone profiling a worker.

Each stage adds the process's CPU time (``time.process_time``, about 1 µs
a read here; ``thread_time`` took 30 µs and more on this machine's kernel).
A worker process delivers on one thread, so that is the worker's own; in the
development web process's delivery thread it would include the requests.
"""


class CpuSplit:
    STAGES = ("claim", "render", "build", "send", "record")

    def __init__(self):
        self.reset()

    def reset(self):
        self.seconds = dict.fromkeys(self.STAGES, 0.0)

    def add(self, **seconds):
        for stage, spent in seconds.items():
            self.seconds[stage] += spent


CPU = CpuSplit()
