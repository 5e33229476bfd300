"""Development SAML identity provider (pysaml2 + Debian's xmlsec1) for the demo and the tests.

It signs assertions like a corporate IdP would. It is never part of a production deployment.
"""
