"""A small program to record: functions, a class, a generator, an exception."""


class Account:
    def __init__(self, owner, balance=0):
        self.owner = owner
        self.balance = balance

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("deposit must be positive")
        self.balance += amount
        return self.balance


def fib(n):
    a, b = 0, 1
    for _ in range(n):
        yield a
        a, b = b, a + b


def main():
    acct = Account("ada")
    for amount in (10, 25, -5):
        try:
            acct.deposit(amount)
        except ValueError as e:
            message = str(e)
    numbers = list(fib(8))
    total = sum(numbers)
    print("balance", acct.balance, "fib", numbers, "total", total, "note:", message)


main()
