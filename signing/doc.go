// Package signing loads keys and certificates (PEM, DER, PKCS#12), signs
// packets with the enveloped XML-DSig signature the hcm-lgsp profile
// requires (Reference URI="", exclusive C14N 1.0, RSA-SHA256 by default,
// ECDSA P-256/P-384 as an opt-in for receivers that accept it,
// KeyInfo/X509Data/X509Certificate), and verifies signed packets against
// pinned certificates.
//
// Sign and Verify accept only a plain XML subset: UTF-8 without BOM, an
// optional XML 1.0 declaration, one root element, no DOCTYPE, comments,
// processing instructions, CDATA, duplicate attributes, xmlns="" or
// element named Signature other than the one Sign adds; when signing,
// attributes must also be un-prefixed and free of tabs and line breaks.
// Within that subset every signature we make is accepted by xmlsec1 and
// every signature xmlsec1 makes is accepted by us (see README.md).
//
// Signer and Verifier are immutable and safe for concurrent use.
package signing
