/**
 * Signed provenance: a signature over every file of a model directory, in the open format of the
 * OpenSSF model-signing specification ({@code model_signing}, key-based method). The signature file
 * ({@value org.distill4j.provenance.signing.ModelSigner#FILE_NAME}) is a Sigstore bundle v0.3
 * holding a DSSE envelope whose payload is an in-toto Statement v1 with predicate type {@value
 * org.distill4j.provenance.signing.InTotoStatement#PREDICATE_TYPE}; the envelope is signed with
 * an elliptic-curve key (P-256, P-384 or P-521) through the JDK's ECDSA, DER-encoded.
 *
 * <p>{@link org.distill4j.provenance.signing.ModelSigner} signs, {@link
 * org.distill4j.provenance.signing.SignatureVerifier} verifies and names every added, missing,
 * changed or refused file, and {@link org.distill4j.provenance.signing.SignaturePolicy} is the few
 * lines a loader ({@code serve}, {@code eval}) calls before it trusts a model.
 */
package org.distill4j.provenance.signing;
