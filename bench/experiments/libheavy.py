# library-heavy work: pygments highlighting a big source file, plus stdlib parsing
import sys, json, email, textwrap
from pygments import highlight
from pygments.lexers import PythonLexer
from pygments.formatters import HtmlFormatter
src = open("/work/main/src/values.c").read()[:60000]
code = open("/root/.pyenv/versions/3.12.1/lib/python3.12/pathlib.py").read()
for _ in range(1): highlight(code, PythonLexer(), HtmlFormatter())
import tomllib, configparser, argparse
for i in range(200):
    p = argparse.ArgumentParser(); p.add_argument("--x", type=int); p.add_argument("y"); p.parse_args(["--x", "3", "z"])
