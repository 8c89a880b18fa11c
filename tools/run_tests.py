"""ninja test: run the test suite (tests/) under the configured interpreter.

When that interpreter lacks pytest, flatbuffers or selenium (the viewer's
browser tests; a bare python3.12, say), a virtual environment is made from
it once in build/venv-X.Y, pip installs them there, and the suite runs in it. Extra arguments go
to pytest. The suite runs with PYTHONUNBUFFERED removed from the environment."""

import os
import subprocess
import sys
import venv

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NEEDS = ("pytest", "flatbuffers", "selenium")


def has_needs(python):
    code = "import %s" % ", ".join(NEEDS)
    return subprocess.run([python, "-c", code], capture_output=True).returncode == 0


def test_python():
    if has_needs(sys.executable):
        return sys.executable
    env_dir = os.path.join(ROOT, "build", "venv-%d.%d" % sys.version_info[:2])
    python = os.path.join(env_dir, "bin", "python")
    if not os.path.exists(python):
        print("ninja test: %s has no %s; making %s" % (sys.executable, " or ".join(NEEDS), env_dir),
              flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    if not has_needs(python):
        r = subprocess.run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", *NEEDS])
        if r.returncode != 0:
            sys.exit("ninja test: cannot install %s into %s" % (", ".join(NEEDS), env_dir))
    return python


def main():
    python = test_python()
    cmd = [python, "-m", "pytest", "-q", os.path.join(ROOT, "tests"), *sys.argv[1:]]
    # Buffered output, as users have it (PYTHONUNBUFFERED=1 hides order bugs).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    os.execve(python, cmd, env)


if __name__ == "__main__":
    main()
