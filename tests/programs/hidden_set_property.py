"""A property whose getter is a C callable bound to an object
(property(log.append)), given to a class after it was made: `o.seen`
then runs log.append(o) with no Python code and no event, from a plain
line that stores into a local; the change shows in the next line's
Step."""


class Box:
    pass


def set_property():
    log = []
    o = Box()
    Box.seen = property(log.append)
    x = o.seen          # log.append(o)
    k = len(log)
    k = k + 1
    return len(log)


print(set_property())
