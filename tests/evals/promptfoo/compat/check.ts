export default function (output, context) {
  return output.includes(context.vars.ask.split(' ').pop().replace('?', ''));
}
