"""Module-level code and a sibling module: importing it runs its
module-level code (recorded), then its functions and classes are used;
`from ... import` and a second import (cached, no module code)."""
import _shapes
from _shapes import Square, area_of

import _shapes as again

sizes = [1, 2, 3]
total = 0
for s in sizes:
    total += area_of(Square(s))
if again is _shapes:
    same = True
print(total, _shapes.COUNT, _shapes.describe(Square(4)), same)
