"""The tier engine: policies as data, conditions compiled to analytics expressions, explanations.

`expressions` is the public face of the condition language (grammar, precedence and the rules for
missing values are in its docstring); `syntax` parses it and `kinds` type-checks it.
"""
