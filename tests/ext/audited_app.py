"""Members flagged Py_AUDIT_READ (tests/ext/audited.c): an audit hook logs
every "object.__getattr__" event, the program changes the members of two
Boxes line by line and reads two audited members itself, then prints what
the hook saw. Recorded, it prints the same: the recorder reads every
member to record it, each without its audit event. The hook is traced too
(__cantrace__), and its locals hold the Box whose member it was told of:
recording them inside the hook must not raise the event again."""

import sys

seen = []


def hook(event, args):
    if event == "object.__getattr__":
        obj, name = args
        seen.append("%s.%s" % (type(obj).__name__, name))


hook.__cantrace__ = True


sys.addaudithook(hook)

import audited


class Sub(audited.Box):
    pass


def main():
    box = audited.Box()
    box.count = 1
    box.code = 7
    box.stash = "first"
    box.label = "a"
    box.code = 8
    box.stash = [1, 2]
    print("stash", box.stash)
    box.count = 2
    sub = Sub()
    sub.tag = "sub"
    sub.stash = box.label
    sub.code = -3
    print("code", sub.code)
    del box.stash
    box.count = 3
    box.label = None
    return box.count


main()
print("seen", seen)
