"""raytrace: a small recursive ray tracer (spheres, a checkered plane, point
lights, diffuse + specular shading, reflections), object-heavy vector math.

In the spirit of pyperformance's raytrace benchmark, written here from
scratch. argv[1]: number of image rows (the image is 48 pixels wide).
"""
import math
import sys

DEFAULT_SIZE = 600   # about 0.4 s untraced (CPython 3.12, 2-core EPYC)
CALLGRIND_SIZE = 10   # bench/callgrind.py: a recording of a few seconds under valgrind

EPSILON = 1e-5


class Vec:
    __slots__ = ("x", "y", "z")

    def __init__(self, x, y, z):
        self.x = x
        self.y = y
        self.z = z

    def __add__(self, o):
        return Vec(self.x + o.x, self.y + o.y, self.z + o.z)

    def __sub__(self, o):
        return Vec(self.x - o.x, self.y - o.y, self.z - o.z)

    def scale(self, k):
        return Vec(self.x * k, self.y * k, self.z * k)

    def dot(self, o):
        return self.x * o.x + self.y * o.y + self.z * o.z

    def cross(self, o):
        return Vec(self.y * o.z - self.z * o.y,
                   self.z * o.x - self.x * o.z,
                   self.x * o.y - self.y * o.x)

    def length(self):
        return math.sqrt(self.dot(self))

    def unit(self):
        return self.scale(1.0 / self.length())

    def reflect(self, normal):
        return self - normal.scale(2 * self.dot(normal))


class Ray:
    def __init__(self, origin, direction):
        self.origin = origin
        self.direction = direction.unit()

    def at(self, t):
        return self.origin + self.direction.scale(t)


class Sphere:
    def __init__(self, centre, radius, colour, shine, mirror):
        self.centre = centre
        self.radius = radius
        self.colour = colour
        self.shine = shine
        self.mirror = mirror

    def hit(self, ray):
        oc = ray.origin - self.centre
        b = oc.dot(ray.direction)
        c = oc.dot(oc) - self.radius * self.radius
        disc = b * b - c
        if disc < 0:
            return None
        root = math.sqrt(disc)
        t = -b - root
        if t > EPSILON:
            return t
        t = -b + root
        return t if t > EPSILON else None

    def normal_at(self, p):
        return (p - self.centre).unit()

    def colour_at(self, p):
        return self.colour


class Plane:
    def __init__(self, point, normal, mirror):
        self.point = point
        self.normal = normal.unit()
        self.shine = 0.0
        self.mirror = mirror

    def hit(self, ray):
        denom = ray.direction.dot(self.normal)
        if abs(denom) < EPSILON:
            return None
        t = (self.point - ray.origin).dot(self.normal) / denom
        return t if t > EPSILON else None

    def normal_at(self, p):
        return self.normal

    def colour_at(self, p):
        if (math.floor(p.x) + math.floor(p.z)) % 2 == 0:
            return Vec(0.9, 0.9, 0.9)
        return Vec(0.1, 0.1, 0.1)


class Scene:
    def __init__(self):
        self.objects = [
            Sphere(Vec(0.0, 1.0, 5.0), 1.0, Vec(0.9, 0.2, 0.2), 40.0, 0.3),
            Sphere(Vec(-2.2, 0.7, 6.5), 0.7, Vec(0.2, 0.8, 0.2), 10.0, 0.1),
            Sphere(Vec(2.0, 0.5, 4.0), 0.5, Vec(0.2, 0.3, 0.9), 80.0, 0.5),
            Plane(Vec(0.0, 0.0, 0.0), Vec(0.0, 1.0, 0.0), 0.2),
        ]
        self.lights = [Vec(-5.0, 8.0, -2.0), Vec(6.0, 5.0, 1.0)]
        self.ambient = 0.1

    def nearest(self, ray):
        best, best_t = None, None
        for obj in self.objects:
            t = obj.hit(ray)
            if t is not None and (best_t is None or t < best_t):
                best, best_t = obj, t
        return best, best_t

    def shadowed(self, point, light):
        to_light = light - point
        dist = to_light.length()
        obj, t = self.nearest(Ray(point, to_light))
        return obj is not None and t < dist

    def trace(self, ray, depth):
        obj, t = self.nearest(ray)
        if obj is None:
            return Vec(0.05, 0.05, 0.15)
        p = ray.at(t)
        n = obj.normal_at(p)
        base = obj.colour_at(p)
        colour = base.scale(self.ambient)
        for light in self.lights:
            if self.shadowed(p, light):
                continue
            l = (light - p).unit()
            diffuse = n.dot(l)
            if diffuse > 0:
                colour = colour + base.scale(diffuse * 0.7)
            if obj.shine > 0:
                spec = l.reflect(n).dot(ray.direction)
                if spec > 0:
                    colour = colour + Vec(1.0, 1.0, 1.0).scale(spec ** obj.shine * 0.5)
        if depth > 0 and obj.mirror > 0:
            bounce = Ray(p, ray.direction.reflect(n))
            colour = colour.scale(1 - obj.mirror) + self.trace(bounce, depth - 1).scale(obj.mirror)
        return colour


def render(rows, width=48, height=36):
    scene = Scene()
    eye = Vec(0.0, 1.5, -2.0)
    checksum = 0
    for row in range(rows):
        y = 1.0 - 2.0 * ((row % height) + 0.5) / height
        for col in range(width):
            x = 2.0 * (col + 0.5) / width - 1.0
            c = scene.trace(Ray(eye, Vec(x * 1.33, y, 1.5)), 2)
            r = min(255, int(c.x * 255))
            g = min(255, int(c.y * 255))
            b = min(255, int(c.z * 255))
            checksum = (checksum * 31 + r * 65536 + g * 256 + b) % 1000000007
    return checksum


if __name__ == "__main__":
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SIZE
    print("raytrace", rows, render(rows))
