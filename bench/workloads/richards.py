"""richards: Martin Richards' operating-system task scheduler simulation.

The algorithm (an idle task, a work task, two handlers and two devices
exchanging packets under a priority scheduler) is the classic Richards
benchmark also found in pyperformance; this is an independent implementation.
argv[1]: hundreds of idle-task steps (100 = one classic simulation, whose
packet and hold counts are checked).
"""
import sys

DEFAULT_SIZE = 1800   # about 0.4 s untraced (CPython 3.12, 2-core EPYC)
CALLGRIND_SIZE = 28   # bench/callgrind.py: a recording of a few seconds under valgrind

IDLE, WORK, HANDLER_A, HANDLER_B, DEVICE_A, DEVICE_B = range(1, 7)
KIND_DEVICE, KIND_WORK = 0, 1
BUFFER_SIZE = 4


class Packet:
    def __init__(self, link, ident, kind):
        self.link = link
        self.ident = ident
        self.kind = kind
        self.datum = 0
        self.data = [0] * BUFFER_SIZE

    def append_to(self, queue):
        """Put this packet at the end of `queue`; returns the queue's head."""
        self.link = None
        if queue is None:
            return self
        last = queue
        while last.link is not None:
            last = last.link
        last.link = self
        return queue


class Task:
    def __init__(self, system, ident, priority, inbox, waiting, behaviour):
        self.system = system
        self.ident = ident
        self.priority = priority
        self.inbox = inbox
        self.packet_pending = inbox is not None
        self.waiting = waiting
        self.holding = False
        self.behaviour = behaviour
        self.link = system.tasks
        system.tasks = self
        system.by_ident[ident] = self

    def blocked(self):
        return self.holding or (not self.packet_pending and self.waiting)

    def run(self):
        packet = None
        if self.packet_pending and self.waiting and not self.holding:
            packet = self.inbox
            self.inbox = packet.link
            self.waiting = False
            self.packet_pending = self.inbox is not None
        return self.behaviour.step(self.system, packet)

    def receive(self, packet, sender):
        if self.inbox is None:
            self.inbox = packet
            self.packet_pending = True
            if self.priority > sender.priority:
                return self
        else:
            self.inbox = packet.append_to(self.inbox)
        return sender


class System:
    def __init__(self):
        self.tasks = None
        self.by_ident = [None] * 7
        self.current = None
        self.queued = 0
        self.held = 0

    def wait(self):
        self.current.waiting = True
        return self.current

    def hold_self(self):
        self.held += 1
        self.current.holding = True
        return self.current.link

    def release(self, ident):
        task = self.by_ident[ident]
        task.holding = False
        if task.priority > self.current.priority:
            return task
        return self.current

    def send(self, packet):
        target = self.by_ident[packet.ident]
        self.queued += 1
        packet.link = None
        packet.ident = self.current.ident
        return target.receive(packet, self.current)

    def schedule(self):
        task = self.tasks
        while task is not None:
            if task.blocked():
                task = task.link
            else:
                self.current = task
                task = task.run()


class Idle:
    def __init__(self, count):
        self.control = 1
        self.count = count

    def step(self, system, packet):
        self.count -= 1
        if self.count == 0:
            return system.hold_self()
        if self.control & 1 == 0:
            self.control >>= 1
            return system.release(DEVICE_A)
        self.control = (self.control >> 1) ^ 0xD008
        return system.release(DEVICE_B)


class Worker:
    def __init__(self):
        self.destination = HANDLER_A
        self.count = 0

    def step(self, system, packet):
        if packet is None:
            return system.wait()
        self.destination = HANDLER_B if self.destination == HANDLER_A else HANDLER_A
        packet.ident = self.destination
        packet.datum = 0
        for i in range(BUFFER_SIZE):
            self.count += 1
            if self.count > 26:
                self.count = 1
            packet.data[i] = 64 + self.count
        return system.send(packet)


class Handler:
    def __init__(self):
        self.work = None
        self.devices = None

    def step(self, system, packet):
        if packet is not None:
            if packet.kind == KIND_WORK:
                self.work = packet.append_to(self.work)
            else:
                self.devices = packet.append_to(self.devices)
        if self.work is not None:
            work = self.work
            index = work.datum
            if index >= BUFFER_SIZE:
                self.work = work.link
                return system.send(work)
            if self.devices is not None:
                device = self.devices
                self.devices = device.link
                device.datum = work.data[index]
                work.datum = index + 1
                return system.send(device)
        return system.wait()


class Device:
    def __init__(self):
        self.pending = None

    def step(self, system, packet):
        if packet is None:
            if self.pending is None:
                return system.wait()
            out = self.pending
            self.pending = None
            return system.send(out)
        self.pending = packet
        return system.hold_self()


def simulate(count=10000):
    system = System()
    Task(system, IDLE, 0, None, False, Idle(count))
    work = Packet(None, 0, KIND_WORK)
    work = Packet(work, 0, KIND_WORK)
    Task(system, WORK, 1000, work, True, Worker())
    for ident, device, priority in ((HANDLER_A, DEVICE_A, 2000), (HANDLER_B, DEVICE_B, 3000)):
        queue = None
        for _ in range(3):
            queue = Packet(queue, device, KIND_DEVICE)
        Task(system, ident, priority, queue, True, Handler())
    Task(system, DEVICE_A, 4000, None, True, Device())
    Task(system, DEVICE_B, 5000, None, True, Device())
    system.schedule()
    return system.queued, system.held


if __name__ == "__main__":
    size = int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SIZE
    full, rest = divmod(size, 100)
    check = 0
    for _ in range(full):
        queued, held = simulate(10000)
        if (queued, held) != (23246, 9297):
            raise SystemExit("richards: wrong result %d %d" % (queued, held))
        check += queued + held
    if rest:
        queued, held = simulate(rest * 100)
        check += queued + held
    print("richards", size, check)
