"""A weak reference's callback that is an instance of a class whose
__call__ is a Python function is Python code when the reference is made
(its call would show itself); the class's __call__ replaced afterwards
by a C callable bound to a list (dead.append) makes the referent's death
change that list with no Python code and no event, inside a plain line
(`o = None`, the referent a function); the change shows in the next line's Step, in a local that
no line after it rebinds."""
import weakref


class Hook:
    def __call__(self, r):
        pass


def replaced():
    dead = []
    o = lambda: None    # (a function: its death tells the recorder nothing)
    r = weakref.ref(o, Hook())
    Hook.__call__ = dead.append
    o = None            # dead.append(r)
    k = len(dead)
    k = k + 1
    return len(dead)


print(replaced())
