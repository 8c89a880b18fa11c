"""deltablue: the DeltaBlue incremental dataflow constraint solver.

The algorithm (Freeman-Benson, Maloney and Borning: walkabout strengths,
incremental add/remove of constraints, plan extraction) is the one the
classic DeltaBlue benchmark and pyperformance's deltablue implement; this is
an independent, compact implementation. Each round runs a chain test and a
projection test of 25 variables and checks their results.
argv[1]: number of rounds.
"""
import sys

DEFAULT_SIZE = 500   # about 0.4 s untraced (CPython 3.12, 2-core EPYC)
CALLGRIND_SIZE = 8   # bench/callgrind.py: a recording of a few seconds under valgrind

# Strengths: a smaller number is stronger.
REQUIRED, STRONG_PREFERRED, PREFERRED, STRONG_DEFAULT, NORMAL, WEAK_DEFAULT, WEAKEST = range(7)
NONE, FORWARD, BACKWARD = 0, 1, 2


class Variable:
    def __init__(self, name, value=0):
        self.name = name
        self.value = value
        self.constraints = []
        self.determined_by = None
        self.walk_strength = WEAKEST
        self.stay = True
        self.mark = 0

    def add(self, c):
        self.constraints.append(c)

    def remove(self, c):
        self.constraints.remove(c)
        if self.determined_by is c:
            self.determined_by = None


class Constraint:
    def __init__(self, planner, strength):
        self.planner = planner
        self.strength = strength

    def install(self):
        self.add_to_graph()
        self.planner.incremental_add(self)

    def satisfy(self, mark):
        """Try to satisfy this constraint; returns the constraint it overrode."""
        self.choose_method(mark)
        if not self.is_satisfied():
            if self.strength == REQUIRED:
                raise RuntimeError("could not satisfy a required constraint")
            return None
        self.mark_inputs(mark)
        out = self.output()
        overridden = out.determined_by
        if overridden is not None:
            overridden.mark_unsatisfied()
        out.determined_by = self
        if not self.planner.add_propagate(self, mark):
            raise RuntimeError("cycle encountered")
        out.mark = mark
        return overridden

    def destroy(self):
        if self.is_satisfied():
            self.planner.incremental_remove(self)
        else:
            self.remove_from_graph()

    def is_input(self):
        return False


class Unary(Constraint):
    def __init__(self, planner, var, strength):
        Constraint.__init__(self, planner, strength)
        self.var = var
        self.satisfied = False
        self.install()

    def add_to_graph(self):
        self.var.add(self)
        self.satisfied = False

    def remove_from_graph(self):
        self.var.remove(self)
        self.satisfied = False

    def choose_method(self, mark):
        self.satisfied = self.var.mark != mark and self.strength < self.var.walk_strength

    def is_satisfied(self):
        return self.satisfied

    def mark_inputs(self, mark):
        pass

    def output(self):
        return self.var

    def recalculate(self):
        self.var.walk_strength = self.strength
        self.var.stay = not self.is_input()
        if self.var.stay:
            self.execute()

    def mark_unsatisfied(self):
        self.satisfied = False

    def inputs_known(self, mark):
        return True


class Stay(Unary):
    def execute(self):
        pass


class Edit(Unary):
    def is_input(self):
        return True

    def execute(self):
        pass


class Binary(Constraint):
    def __init__(self, planner, v1, v2, strength):
        Constraint.__init__(self, planner, strength)
        self.v1 = v1
        self.v2 = v2
        self.direction = NONE
        self.install()

    def add_to_graph(self):
        self.v1.add(self)
        self.v2.add(self)
        self.direction = NONE

    def remove_from_graph(self):
        self.v1.remove(self)
        self.v2.remove(self)
        self.direction = NONE

    def choose_method(self, mark):
        v1, v2, s = self.v1, self.v2, self.strength
        if v1.mark == mark:
            self.direction = FORWARD if v2.mark != mark and s < v2.walk_strength else NONE
        elif v2.mark == mark:
            self.direction = BACKWARD if v1.mark != mark and s < v1.walk_strength else NONE
        elif v1.walk_strength > v2.walk_strength:
            self.direction = BACKWARD if s < v1.walk_strength else NONE
        else:
            self.direction = FORWARD if s < v2.walk_strength else BACKWARD

    def is_satisfied(self):
        return self.direction != NONE

    def input(self):
        return self.v1 if self.direction == FORWARD else self.v2

    def output(self):
        return self.v2 if self.direction == FORWARD else self.v1

    def mark_inputs(self, mark):
        self.input().mark = mark

    def recalculate(self):
        src, out = self.input(), self.output()
        out.walk_strength = max(self.strength, src.walk_strength)
        out.stay = src.stay
        if out.stay:
            self.execute()

    def mark_unsatisfied(self):
        self.direction = NONE

    def inputs_known(self, mark):
        src = self.input()
        return src.mark == mark or src.stay or src.determined_by is None


class Equal(Binary):
    def execute(self):
        self.output().value = self.input().value


class Scale(Binary):
    """dest = src * scale + offset."""

    def __init__(self, planner, src, scale, offset, dest, strength):
        self.scale = scale
        self.offset = offset
        Binary.__init__(self, planner, src, dest, strength)

    def add_to_graph(self):
        Binary.add_to_graph(self)
        self.scale.add(self)
        self.offset.add(self)

    def remove_from_graph(self):
        Binary.remove_from_graph(self)
        self.scale.remove(self)
        self.offset.remove(self)

    def execute(self):
        if self.direction == FORWARD:
            self.v2.value = self.v1.value * self.scale.value + self.offset.value
        else:
            self.v1.value = (self.v2.value - self.offset.value) // self.scale.value

    def recalculate(self):
        src, out = self.input(), self.output()
        out.walk_strength = max(self.strength, src.walk_strength)
        out.stay = src.stay and self.scale.stay and self.offset.stay
        if out.stay:
            self.execute()


class Planner:
    def __init__(self):
        self.current_mark = 0

    def new_mark(self):
        self.current_mark += 1
        return self.current_mark

    def incremental_add(self, c):
        mark = self.new_mark()
        overridden = c.satisfy(mark)
        while overridden is not None:
            overridden = overridden.satisfy(mark)

    def incremental_remove(self, c):
        out = c.output()
        c.mark_unsatisfied()
        c.remove_from_graph()
        unsatisfied = self.remove_propagate_from(out)
        for strength in range(REQUIRED, WEAKEST):
            for u in unsatisfied:
                if u.strength == strength:
                    self.incremental_add(u)

    def add_propagate(self, c, mark):
        todo = [c]
        while todo:
            d = todo.pop(0)
            if d.output().mark == mark:
                self.incremental_remove(c)
                return False
            d.recalculate()
            self.consumers(d.output(), todo)
        return True

    def remove_propagate_from(self, out):
        out.determined_by = None
        out.walk_strength = WEAKEST
        out.stay = True
        unsatisfied = []
        todo = [out]
        while todo:
            v = todo.pop(0)
            for c in v.constraints:
                if not c.is_satisfied():
                    unsatisfied.append(c)
            determining = v.determined_by
            for c in v.constraints:
                if c is not determining and c.is_satisfied():
                    c.recalculate()
                    todo.append(c.output())
        return unsatisfied

    def consumers(self, v, todo):
        determining = v.determined_by
        for c in v.constraints:
            if c is not determining and c.is_satisfied():
                todo.append(c)

    def make_plan(self, sources):
        mark = self.new_mark()
        plan = []
        todo = list(sources)
        while todo:
            c = todo.pop(0)
            out = c.output()
            if out.mark != mark and c.inputs_known(mark):
                plan.append(c)
                out.mark = mark
                self.consumers(out, todo)
        return plan

    def plan_for(self, constraints):
        return self.make_plan([c for c in constraints if c.is_input() and c.is_satisfied()])


def execute(plan):
    for c in plan:
        c.execute()


def chain_test(n):
    planner = Planner()
    vars_ = [Variable("v%d" % i) for i in range(n + 1)]
    for a, b in zip(vars_, vars_[1:]):
        Equal(planner, a, b, REQUIRED)
    first, last = vars_[0], vars_[-1]
    Stay(planner, last, STRONG_DEFAULT)
    edit = Edit(planner, first, PREFERRED)
    plan = planner.plan_for([edit])
    for i in range(100):
        first.value = i
        execute(plan)
        if last.value != i:
            raise RuntimeError("chain test failed")
    return last.value


def change(planner, var, value):
    edit = Edit(planner, var, PREFERRED)
    plan = planner.plan_for([edit])
    for _ in range(10):
        var.value = value
        execute(plan)
    edit.destroy()


def projection_test(n):
    planner = Planner()
    scale = Variable("scale", 10)
    offset = Variable("offset", 1000)
    src = dst = None
    dests = []
    for i in range(n):
        src = Variable("src%d" % i, i)
        dst = Variable("dst%d" % i, i)
        dests.append(dst)
        Stay(planner, src, NORMAL)
        Scale(planner, src, scale, offset, dst, REQUIRED)
    change(planner, src, 17)
    if dst.value != 1170:
        raise RuntimeError("projection 1 failed")
    change(planner, dst, 1050)
    if src.value != 5:
        raise RuntimeError("projection 2 failed")
    change(planner, scale, 5)
    if any(dests[i].value != i * 5 + 1000 for i in range(n - 1)):
        raise RuntimeError("projection 3 failed")
    change(planner, offset, 2000)
    if any(dests[i].value != i * 5 + 2000 for i in range(n - 1)):
        raise RuntimeError("projection 4 failed")
    return sum(d.value for d in dests)


if __name__ == "__main__":
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SIZE
    check = 0
    for _ in range(rounds):
        check += chain_test(25) + projection_test(25)
    print("deltablue", rounds, check)
