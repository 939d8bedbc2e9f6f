import HasimKernel

/// `option httpchk`: the proxy's request to a health-check service on the server's host (HTTP
/// over a TCP connection to the check port), e.g. Percona's clustercheck under xinetd on 9200.
public struct HTTPCheckRequest: WireMessage {
    public init() {}
}

/// The service's answer: 200 means usable; anything else fails the check.
public struct HTTPCheckResponse: WireMessage {
    public var status: Int
    public init(status: Int) { self.status = status }
}
