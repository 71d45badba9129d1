"""The request pipeline: one module per step, in the order requests meet them.

    account   (outermost) times the request, prices its usage, writes the
              usage record and the savings headers, also for errors and streams
    auth      x-proxy-key -> key and workspace (401), subscription (402), tags
    validate  parses the JSON body, checks the fields Optera reads (400/413)
    quota     per-key burst limit, then the monthly quota (429, exact)
    cache     exact and semantic cache: answers hits, stores misses
    compress  compression steps on the body sent upstream
    route     cheaper model when the request does not need the asked one
    forward   sends upstream; relays streams; maps transport errors (502/504)

Each step is `async (exchange, call_next) -> Reply`; `chain` links them.
"""
