def explode(x):
    return {"a": 1}[x]


print("before")
explode("b")
