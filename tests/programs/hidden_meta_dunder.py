"""A special method that is a C callable bound to an object, given after
it was made to a metaclass (`Meta.__getitem__ = log.append`): `Made[4]`
on a class made by it then runs log.append(4) with no Python code and no
event, from a plain line that stores into a local; the change shows in
the next line's Step."""


class Meta(type):
    pass


class Made(metaclass=Meta):
    pass


def set_on_meta():
    log = []
    Meta.__getitem__ = log.append
    x = Made[4]         # log.append(4)
    k = len(log)
    k = k + 1
    return log


print(set_on_meta())
