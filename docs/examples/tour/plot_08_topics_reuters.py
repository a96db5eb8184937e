"""
Topic models: Reuters stories
=============================

395 Reuters news stories of August 1996 as sparse word counts (the corpus that the
``lda`` package ships, installed by the ``text`` extra). Latent Dirichlet allocation
(variational Bayes, scikit-learn's API) finds eight topics; :class:`~emkit.PLSA` is the
maximum-likelihood aspect model on the same counts.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np

from emkit import LatentDirichletAllocation
from emkit.datasets import load_reuters
from emkit.plotting import top_words

corpus = load_reuters()
print(f"{corpus.counts.shape[0]} stories, {corpus.counts.shape[1]} words, "
      f"{corpus.counts.nnz} nonzero counts")

model = LatentDirichletAllocation(n_components=8, learning_method="batch", max_iter=20,
                                  random_state=0)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    model.fit(corpus.counts)

for k, words in enumerate(top_words(model, corpus.vocabulary, n_words=6)):
    print(f"topic {k}: {' '.join(words)}")

# %%
# Each topic's heaviest words with their share of the topic, ``P(word | topic)``:

shares = model.components_ / model.components_.sum(axis=1, keepdims=True)
fig, axes = plt.subplots(2, 4, figsize=(12, 5), layout="constrained")
for k, ax in enumerate(axes.ravel()):
    order = np.argsort(-shares[k])[:6][::-1]
    ax.barh(np.arange(6), shares[k, order], color=f"C{k}")
    ax.set_yticks(np.arange(6), corpus.vocabulary[order])
    ax.set_title(f"topic {k}")
    ax.set_xlabel("P(word | topic)")
fig.suptitle("Reuters stories: top words of LatentDirichletAllocation's topics")

# %%
# The topic proportions of the first stories (``transform``):

proportions = model.transform(corpus.counts[:20])
fig, ax = plt.subplots(figsize=(9, 3.5))
ax.imshow(proportions.T, aspect="auto", cmap="Blues")
ax.set_xlabel("story")
ax.set_ylabel("topic")
ax.set_title("Topic proportions of the first 20 stories")
plt.show()
