"""A special method that is a C callable bound to an object, given to an
Enum class after it was made: enum's metaclass has a __setattr__ of its
own that stores through `super().__setattr__` (a slot wrapper of type,
which checks that type's slot is the original: the recorder must not
replace it). `Color.RED < 3` then runs log.append(3) with no Python code
and no event, from a plain line that stores into a local; the change
shows in the next line's Step. The Enum works as without the recorder."""
import enum


class Color(enum.Enum):
    RED = 1
    GREEN = 2


class Perm(enum.Flag):
    R = 4
    W = 2


def set_on_enum():
    log = []
    Color.__lt__ = log.append
    x = Color.RED < 3   # log.append(3)
    k = len(log)
    k = k + 1
    rw = Perm.R | Perm.W
    return log, Color(2).name, Color["RED"].value, rw.value, [m.name for m in Color]


print(set_on_enum())
