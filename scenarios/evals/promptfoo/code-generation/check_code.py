"""The generated code must compile (promptfoo calls get_assert(output, context))."""


def get_assert(output, context):
    code = output.strip().removeprefix("```python").removesuffix("```")
    try:
        compile(code, "<generated>", "exec")
    except SyntaxError as exc:
        return {"pass": False, "score": 0, "reason": f"does not compile: {exc.msg}"}
    return {"pass": True, "score": 1, "reason": "compiles"}
