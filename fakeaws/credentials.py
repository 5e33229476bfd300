"""The static credentials the portal uses on the fake AWS (no Django import: settings read it).

They are not secret: they open nothing but this fake. With them boto3 never searches a credential
chain or an instance metadata service.
"""

FAKE_ACCESS_KEY_ID = "AKIAFAKEPORTAL000001"
FAKE_CREDENTIALS = {
    "aws_access_key_id": FAKE_ACCESS_KEY_ID,
    "aws_secret_access_key": "fake-secret-key-that-opens-only-the-fake-aws-0001",
}
