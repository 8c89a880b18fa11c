"""A special method that is a C callable bound to an object (log.append),
given to a class after it was made by a plain attribute store: `o[1]`
then runs log.append(1) with no Python code and no event, from a plain
line that stores into a local; the change shows in the next line's Step,
in a local that no line after it rebinds. (Its siblings give the
attribute by setattr, type.__setattr__, a property, a metaclass, enum's
metaclass: hidden_setattr_dunder.py and the others named hidden_*.)"""


class Box:
    pass


def set_later():
    log = []
    o = Box()
    Box.__getitem__ = log.append
    x = o[1]            # log.append(1)
    k = len(log)
    k = k + 1
    return log


print(set_later())
