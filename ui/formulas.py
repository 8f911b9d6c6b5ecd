"""Short "what you are seeing" notes with the equations behind each chart."""

import streamlit as st

KL_NOTE = (
    "The ELBO's KL term pulls every q(z|x) towards N(0, I): codes crowd around the origin "
    "within a few units, classes touch instead of drifting apart, and the space between them "
    "still decodes to plausible images, which is what makes sampling and interpolation work. "
    "Turn β up and the map packs tighter and blurrier; down to 0 and it becomes a plain "
    "autoencoder's, with gaps that decode to noise."
)


def explain(family: str) -> None:
    """The objective the charts track, for a GAN or a VAE run."""
    with st.expander("What you are seeing", expanded=False):
        if family == "gan":
            st.markdown(
                "The discriminator D and generator G play the min-max game of Goodfellow et al. (2014):"
            )
            st.latex(
                r"\min_G \max_D \; \mathbb{E}_{x}[\log D(x)] + \mathbb{E}_{z}[\log(1 - D(G(z)))]"
            )
            st.markdown("Each step first updates D on")
            st.latex(r"L_D = -\big(\mathbb{E}_x \log D(x) + \mathbb{E}_z \log(1 - D(G(z)))\big)")
            st.markdown(
                "then G on the non-saturating loss, which keeps a gradient when D rejects every fake:"
            )
            st.latex(r"L_G = -\mathbb{E}_z \log D(G(z))")
            st.markdown(
                "At the game's equilibrium D(x) = D(G(z)) = ½ and L_D = 2 ln 2 ≈ 1.39. "
                "**D(G(z)) near 0 for long** means D is winning and G learns little: try one-sided "
                "label smoothing (real targets 1 − s), a lower D learning rate, dropout in D, or the "
                "Wasserstein loss with gradient penalty, whose critic loss is"
            )
            st.latex(
                r"L_C = \mathbb{E}_z C(G(z)) - \mathbb{E}_x C(x) + \lambda\, \mathbb{E}_{\hat x}\big(\lVert \nabla_{\hat x} C(\hat x) \rVert_2 - 1\big)^2"
            )
        else:
            st.markdown(
                "The VAE maximises the evidence lower bound (Kingma & Welling, 2014); the chart shows its negative, split in two:"
            )
            st.latex(
                r"-\mathrm{ELBO} = \underbrace{-\mathbb{E}_{q(z|x)} \log p(x|z)}_{\text{reconstruction}} + \beta\, \underbrace{\mathrm{KL}\big(q(z|x)\,\Vert\,\mathcal{N}(0, I)\big)}_{\text{KL}}"
            )
            st.markdown(
                "The encoder gives μ and log σ²; the sample stays differentiable by reparameterisation:"
            )
            st.latex(
                r"z = \mu + \sigma \odot \varepsilon,\quad \varepsilon \sim \mathcal{N}(0, I),\qquad \mathrm{KL} = -\tfrac12 \sum_j \big(1 + \log\sigma_j^2 - \mu_j^2 - \sigma_j^2\big)"
            )
            st.markdown(
                "Reconstruction falls as digits sharpen; KL rises as the code carries more information. "
                "Both are in nats per image; the KL, far smaller, is read on the right-hand axis."
            )


# Why each task's default anomaly score is the default (the Anomaly page says so under it).
WHY_SCORE = {
    "recon+classifier": "The default for digits: framed for upload, a shirt becomes a digit-sized "
    "blob that the VAE reconstructs about as well as a bold digit, so reconstruction error alone "
    "misses most clothes once they arrive as files. A classifier trained on uploads and on "
    "synthetic non-digits adds whether the image is a digit at all; the VAE's error still weighs "
    "how well-formed it is. It ranks best through the upload road (BENCHMARKS.md); this "
    "detector's own figures are under Evaluate.",
    "sq-error+knn": "The default for a VAE of some classes only: where an image lands among the "
    "training codes tells its classes from the rest best (BENCHMARKS.md, one-vs-rest).",
    "recon": "The default where no upload classifier exists for this kind of image.",
}
