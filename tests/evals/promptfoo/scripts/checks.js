// the default export and a named function, as promptfoo calls them: (output, context)
module.exports = (output, context) => output.startsWith('Paris');
module.exports.mentionsCity = (output) => ({ pass: /Paris|Rome/.test(output), score: 0.75, reason: 'city' });
