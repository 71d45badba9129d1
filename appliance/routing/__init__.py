"""Model routing: send a request the asked model is not needed for to a cheaper one.

prompt        reads the text, parts and turns of a chat body (both formats)
needs         what a request uses that a model must support
capabilities  the model capability table, matched by name and snapshot
table         the route table: expensive model -> cheaper model, overrides
fit           the never-route rules: needs against capabilities
features      difficulty signals read from the request
examples      labelled example prompts and their nearest-neighbour vote
classifier    features + vote -> one easiness score
router        puts them together: a candidate target, then a verdict
policy        the appliance's and the workspace's routing settings, merged
"""
