# A list of atoms held by an object that a caller's variable reaches, and
# changed by a callee through another variable: at the caller's next step
# its root's replay meets the list with the shape the callee's steps saw
# (a signature other than the one in the caller's list) and clean now. Its
# check collects nothing then (a clean list of atoms is counted, not
# pushed), so the replay must not read the stack for its children: the
# bench's exceptions workload crashed the recorder that way (a context
# manager appending to the log its caller holds).


class Holder:
    def __init__(self, log):
        self.log = log
        self.name = "h"


def grow(log, k):
    log.append(k)
    log.append(k * 2)
    return len(log)


def caller():
    h = Holder([0])
    other = Holder(h.log)
    total = 0
    for i in range(12):
        total += grow(h.log, i)
        total += len(other.log)
        if i % 4 == 3:
            del h.log[:3]
    return total, h.log


class Guard:
    def __init__(self, log):
        self.log = log

    def __enter__(self):
        self.log.append(1)
        return self

    def __exit__(self, kind, value, tb):
        self.log.append(2 if kind is None else 3)
        return False


def guarded(n):
    log = []
    total = 0
    for i in range(n):
        try:
            with Guard(log):
                if i % 3 == 0:
                    raise ValueError(i)
                total += i
        except ValueError as e:
            total -= e.args[0]
    return total, log


print(caller())
print(guarded(20))
