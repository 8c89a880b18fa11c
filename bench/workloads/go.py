"""go: Monte-Carlo tree search (UCT) for the game of Go on a 7x7 board.

In the spirit of pyperformance's "go" benchmark, written here from scratch:
a board with flood-fill captures, suicide and simple-ko rules, random
playouts that do not fill their own eyes, area scoring, and a UCT tree.
argv[1]: number of playouts.
"""
import math
import sys

DEFAULT_SIZE = 260   # about 0.4 s untraced (CPython 3.12, 2-core EPYC)
CALLGRIND_SIZE = 4   # bench/callgrind.py: a recording of a few seconds under valgrind

SIZE = 7
EMPTY, BLACK, WHITE = 0, 1, 2
KOMI = 7.5
PASS = -1


class Random:
    def __init__(self, seed):
        self.state = seed

    def below(self, n):
        self.state = (self.state * 1103515245 + 12345) & 0x7FFFFFFF
        return (self.state >> 8) % n


def make_neighbours():
    table = []
    for p in range(SIZE * SIZE):
        r, c = divmod(p, SIZE)
        near = []
        if r > 0:
            near.append(p - SIZE)
        if r < SIZE - 1:
            near.append(p + SIZE)
        if c > 0:
            near.append(p - 1)
        if c < SIZE - 1:
            near.append(p + 1)
        table.append(tuple(near))
    return table


NEIGHBOURS = make_neighbours()


class Board:
    def __init__(self):
        self.cells = [EMPTY] * (SIZE * SIZE)
        self.to_move = BLACK
        self.ko = None
        self.passes = 0
        self.moves = 0

    def copy(self):
        b = Board.__new__(Board)
        b.cells = self.cells[:]
        b.to_move = self.to_move
        b.ko = self.ko
        b.passes = self.passes
        b.moves = self.moves
        return b

    def group(self, p):
        """Stones of p's group and whether it has a liberty."""
        colour = self.cells[p]
        stones = {p}
        todo = [p]
        free = False
        while todo:
            q = todo.pop()
            for n in NEIGHBOURS[q]:
                v = self.cells[n]
                if v == EMPTY:
                    free = True
                elif v == colour and n not in stones:
                    stones.add(n)
                    todo.append(n)
        return stones, free

    def is_eye(self, p, colour):
        return all(self.cells[n] == colour for n in NEIGHBOURS[p])

    def legal(self, p):
        if self.cells[p] != EMPTY or p == self.ko:
            return False
        me = self.to_move
        other = 3 - me
        for n in NEIGHBOURS[p]:
            if self.cells[n] == EMPTY:
                return True
        self.cells[p] = me
        try:
            for n in NEIGHBOURS[p]:
                if self.cells[n] == other and not self.group(n)[1]:
                    return True
            return self.group(p)[1]
        finally:
            self.cells[p] = EMPTY

    def play(self, p):
        self.moves += 1
        me = self.to_move
        self.to_move = 3 - me
        if p == PASS:
            self.passes += 1
            self.ko = None
            return
        self.passes = 0
        self.cells[p] = me
        captured = []
        for n in NEIGHBOURS[p]:
            if self.cells[n] == 3 - me:
                stones, free = self.group(n)
                if not free:
                    for s in stones:
                        self.cells[s] = EMPTY
                    captured.extend(stones)
        self.ko = captured[0] if len(captured) == 1 else None

    def random_move(self, rng):
        empties = [p for p, v in enumerate(self.cells) if v == EMPTY]
        while empties:
            i = rng.below(len(empties))
            p = empties[i]
            if self.legal(p) and not self.is_eye(p, self.to_move):
                return p
            empties[i] = empties[-1]
            empties.pop()
        return PASS

    def score(self):
        """Area score, black minus white (komi included)."""
        total = -KOMI
        for p, v in enumerate(self.cells):
            if v == BLACK:
                total += 1
            elif v == WHITE:
                total -= 1
            else:
                seen = {self.cells[n] for n in NEIGHBOURS[p]}
                if seen == {BLACK}:
                    total += 1
                elif seen == {WHITE}:
                    total -= 1
        return total


class Node:
    def __init__(self, move, parent, board):
        self.move = move
        self.parent = parent
        self.player = 3 - board.to_move   # who played `move`
        self.children = []
        self.untried = [p for p in range(SIZE * SIZE) if board.legal(p)]
        self.wins = 0.0
        self.visits = 0

    def best_child(self):
        log_n = math.log(self.visits)
        best, best_value = None, -1.0
        for ch in self.children:
            value = ch.wins / ch.visits + 1.2 * math.sqrt(log_n / ch.visits)
            if value > best_value:
                best, best_value = ch, value
        return best


def playout(board, rng):
    while board.passes < 2 and board.moves < SIZE * SIZE * 3:
        board.play(board.random_move(rng))
    return board.score()


def search(playouts, seed=42):
    rng = Random(seed)
    root_board = Board()
    root = Node(None, None, root_board)
    for _ in range(playouts):
        node, board = root, root_board.copy()
        while not node.untried and node.children:
            node = node.best_child()
            board.play(node.move)
        if node.untried:
            move = node.untried.pop(rng.below(len(node.untried)))
            board.play(move)
            child = Node(move, node, board)
            node.children.append(child)
            node = child
        result = playout(board, rng)
        while node is not None:
            node.visits += 1
            if (result > 0) == (node.player == BLACK):
                node.wins += 1
            node = node.parent
    best = max(root.children, key=lambda ch: ch.visits)
    return best.move, best.visits, root.visits


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SIZE
    print("go", n, *search(n))
