"""Module and class namespaces changed in the ways a Step of a module body
learns of from its dict watcher (src/nswatch.c) and the ways it cannot:
more stores in one line than the watcher's ring holds, stores from a
called function (`global`), dict methods on globals() (update, pop,
setdefault, an update from a dict), exec into the namespace, a name stored
and deleted within one line, a name deleted under another key object,
objects changed inside without a rebinding, a name rebound to a module and
back, and a class body doing the same; one name stored many times between
two Steps (one entry of the ring) and again after a Step looked (a new
one), names bound to objects rebound from a function, and names whose
values are redacted rebound by stores the watcher tells."""
import sys

a = 1
b = [1, 2]
c = {"k": 0}


def many():
    global g0, g1, g2, g3, g4, g5, g6, g7, g8, g9, g10, g11, g12, g13, g14, g15, g16, g17, g18, g19
    g0 = g1 = g2 = g3 = g4 = g5 = g6 = g7 = g8 = g9 = 0
    g10 = g11 = g12 = g13 = g14 = g15 = g16 = g17 = g18 = g19 = 1


def few():
    global a
    a += 1
    b.append(a)          # an object changed inside, no name rebound
    c["k"] = a


def churn():
    global t
    t = 1
    del t


many()
few()
few()
churn()
globals().update({"u1": 10, "u2": [20]})
globals().update(dict(u3=30))
u2.append(21)
v = globals().pop("u1")
w = globals().setdefault("w0", (1, 2))
exec("x = 5\ny = [x]", globals())
y.append(6)
del globals()["".join(["x", ""])]    # deleted under another key object
s = sys
s = "not a module"
for i in range(40):
    if i % 13 == 0:
        many()
    few()
    b[0] = i
q = [n * 2 for n in range(3)]    # a comprehension at module level
try:
    q = [10 // n for n in (2, 1, 0)]   # one left by an exception (3.12: f_locals a copy meanwhile)
except ZeroDivisionError:
    q = None
del q, v, w
r = 0; r = 1; del r; r = 2


def count(k):
    global n, lst
    for _ in range(k):     # one name stored 20 times between two Steps
        n += 1
    lst = [n]              # rebound to a new object from a function


def rotate():
    global password, api_token
    password = password + "x"
    api_token = [password]


n = 0
lst = None
password = "hunter2"
api_token = None
count(20)
count(20)
lst.append(0)              # the object the name was last rebound to
count(3); lst.append(1); count(30)
for i in range(3):
    count(20)
    rotate()
    lst.append(i)
rotate(); many(); rotate()
password = "swordfish"


class Body:
    one = 1
    two = [one]
    two.append(2)
    one = 3
    exec("three = 3")
    del one
    for k in range(20):
        locals()["k%d" % (k % 3)] = k
    del k


print(a, len(b), c, g19, u2, y, s, r, Body.two, Body.three)
print(n, lst, password, api_token)
