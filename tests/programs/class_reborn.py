# An instance's __class__ set to a class born at the address of its old
# class, which died meanwhile (docs/trace-format.md, "What a type id
# promises"): the object table compared class pointers, and the instance
# passed as unchanged, its old class's name kept. The instance's class is
# dropped, then classes are made until one takes the old address (CPython's
# allocator usually gives it back at once), all in one line, so that no
# Step records the instance in between; no variable holds an address.
import gc

OLD = []


def make(name, base=object):
    return type(name, (base,), {"__module__": "made"})


def reborn(name, base):
    # (always 50 classes, all held, the one at the old address picked after:
    # the same Steps in every process, whichever of them takes that address;
    # the reference recorder runs the program in a process of its own)
    made = [make(name, base) for _ in range(50)]
    return {id(c): c for c in made}.get(OLD[-1], made[0])


class Parking:
    pass


class ParkingList(list):
    pass


def reclass(obj, name, base=object):
    OLD.append(id(type(obj)))
    park = Parking if base is object else ParkingList
    obj.__class__ = park; gc.collect(); new = reborn(name, base); obj.__class__ = new  # noqa: E702
    return type(obj).__name__


def scenario():
    a = make("First")()
    a.x = 1
    l = make("FirstList", list)([1, 2])
    held = [a, l]
    names = [reclass(a, "Second"), reclass(l, "SecondList", list)]
    n = len(held)
    names.append(reclass(a, "Third"))
    n += 1
    d = {"a": a}
    names.append(reclass(a, "Fourth"))
    n += 1
    return names, n, len(d)


print(scenario())
