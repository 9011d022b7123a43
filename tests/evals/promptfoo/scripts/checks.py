"""Python checks as promptfoo calls them: get_assert by default, or a named function."""


def get_assert(output, context):
    return "France" in output


def ends_with_period(output, context):
    return 1.0 if output.endswith(".") else 0.0


def first_word_lower(output, context):
    return output.split()[0].lower()
