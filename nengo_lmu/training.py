r"""Training a whole LMU by backpropagation, in JAX (the ``train`` extra).

`LMU.train` calls `train_lmu`. The forward pass is `LMU.predict`'s computation
(`evaluate_cell`, the memory's lag and the synapses in discrete time) written
over ``jax.numpy``; the tests check the two against each other.

The memory is computed in the parallel form of Chilkuri and Eliasmith (ICML 2021,
"Parallelizing Legendre Memory Unit Training") where the cell allows it:

- nothing feeds back into the memory (no :math:`e_h, e_m`): the memory of the
  whole sequence is the input convolved with the impulse response
  :math:`H[j] = A_d^j B_d`, by FFT;
- in addition, only the last step is trained, the hidden layer has no
  recurrence (no :math:`W_h`) and the output no synapse: only the final memory
  state is needed, one product of the inputs with the reversed impulse response;
- otherwise the cell is stepped with ``jax.lax.scan``.

Importing this module imports JAX; ``import nengo_lmu`` does not.
"""

import jax
import jax.numpy as jnp
import nengo
import numpy as np
import optax
import scipy.signal
from nengo.exceptions import ValidationError
from nengo.utils.progress import Progress, ProgressTracker

from nengo_lmu.discretize import loop_transfer_function
from nengo_lmu.legendre import legendre_delay
from nengo_lmu.sequence import CELL_WEIGHT_SHAPES, impulse_response
from nengo_lmu.validation import (
    check_bool,
    check_choice,
    check_integer,
    check_matrix,
    check_nonnegative,
    check_positive,
)

LOSSES = ("mse", "crossentropy")
FORMS = ("auto", "scan")
SCHEDULES = ("constant", "cosine")

# Neuron types whose rates this module computes exactly, as `NeuronType.rates` does.
_RATE_TYPES = (
    nengo.Direct,
    nengo.RectifiedLinear,
    nengo.SpikingRectifiedLinear,
    nengo.LIFRate,
    nengo.LIF,
    nengo.Sigmoid,
    nengo.Tanh,
)
_SPIKE_WRAPPERS = (nengo.RegularSpiking, nengo.StochasticSpiking, nengo.PoissonSpiking)


def rate_function(neuron_type, surrogate_width=0.05):
    r"""The rates of ``neuron_type`` as a JAX function of the input current.

    The values are those of ``neuron_type.rates`` with unit gain and zero bias.
    Where the rate function has no useful gradient, the gradient is that of a
    smooth surrogate: for LIF neurons the current above threshold,
    :math:`j = J - 1`, is replaced by :math:`\sigma \log(1 + e^{j / \sigma})`
    (``surrogate_width`` :math:`= \sigma`; Hunsberger and Eliasmith 2015) in the
    gradient only.

    Parameters
    ----------
    neuron_type : nengo.neurons.NeuronType
        ``Direct``, ``RectifiedLinear``, ``SpikingRectifiedLinear``, ``LIFRate``,
        ``LIF``, ``Sigmoid``, ``Tanh``, or ``RegularSpiking``,
        ``StochasticSpiking`` or ``PoissonSpiking`` around one of these (exactly
        these types, not subclasses, whose rates may differ).
    surrogate_width : float, optional
        :math:`\sigma` of the LIF surrogate gradient (> 0).

    Returns
    -------
    rates : callable
        Maps a JAX array of currents to rates of the same shape.

    Examples
    --------
    >>> rates = rate_function(nengo.LIFRate())
    >>> currents = np.array([0.5, 2.0])
    >>> bool(np.allclose(rates(jnp.asarray(currents)),
    ...                  nengo.LIFRate().rates(currents, 1, 0).ravel()))
    True
    """
    base = neuron_type
    if type(base) in _SPIKE_WRAPPERS:
        base = base.base_type
    if type(base) not in _RATE_TYPES:
        raise ValidationError(
            f"{type(neuron_type).__name__} has no rate function that training can "
            "express in JAX (supported: "
            f"{', '.join(t.__name__ for t in _RATE_TYPES + _SPIKE_WRAPPERS)}, the "
            "latter around one of the former); train with one of these and build "
            "the trained weights on other neurons with LMU(..., encoders=..., "
            "kernels=...)",
            attr="neuron_type",
        )
    width = check_positive(surrogate_width, "surrogate_width")
    if isinstance(base, nengo.Direct):
        return lambda J: J
    if isinstance(base, nengo.RectifiedLinear):
        return lambda J: base.amplitude * jnp.maximum(J, 0.0)
    if isinstance(base, nengo.Sigmoid):
        return lambda J: jax.nn.sigmoid(J) / base.tau_ref
    if isinstance(base, nengo.Tanh):
        return lambda J: jnp.tanh(J) / base.tau_ref

    def lif_rate(j):
        # log1p(1 / j) as a difference of logs, whose gradient stays finite for
        # tiny j (the smooth j is never 0 where it matters)
        valid = j > 1e-20
        safe = jnp.where(valid, j, 1.0)
        rate = base.amplitude / (
            base.tau_ref + base.tau_rc * (jnp.log1p(safe) - jnp.log(safe))
        )
        return jnp.where(valid, rate, 0.0)

    def lif(J):
        j = J - 1.0
        exact = lif_rate(j)
        smooth = lif_rate(width * jax.nn.softplus(j / width))
        return smooth + jax.lax.stop_gradient(exact - smooth)

    return lif


class Cell:
    """The forward pass of an `LMU` as a pure JAX function of its weights.

    Parameters
    ----------
    lmu : LMU
        The network; read, not changed.
    train_theta : bool, optional
        Whether ``theta`` is a parameter (as ``"log_theta"``).
    surrogate_width : float, optional
        See `rate_function`.
    form : {"auto", "scan"}, optional
        ``"auto"`` computes the memory in parallel where the cell allows it;
        ``"scan"`` always steps the whole cell (for comparison).

    Attributes
    ----------
    params : dict
        The initial parameters: the cell's weights (float32) by their names in
        `LMU`'s ``weight_connections`` (``"u_bias"`` for the memory's bias,
        ``"bias"`` for the hidden layer's), and ``"log_theta"`` if trained.
    """

    def __init__(self, lmu, train_theta=False, surrogate_width=0.05, form="auto"):
        self.activation = rate_function(lmu.neuron_type, surrogate_width)
        self.form = check_choice(form, "form", FORMS)
        self.train_theta = train_theta
        self.memory_feedback = "e_h" in lmu._cell_weights or "e_m" in lmu._cell_weights
        self.hidden_feedback = "W_h" in lmu._cell_weights
        self.memory_delay = lmu.memory.lag
        self.order = lmu.order
        self.memory_d = lmu.memory_d
        self.n_hidden = lmu.n_hidden
        self.has_output = lmu.size_out is not None
        self.dt = lmu.dt
        self.discretizer = lmu.memory.discretizer
        names = set(CELL_WEIGHT_SHAPES) | {"W_y"}
        self.params = {
            name: jnp.asarray(value, dtype=jnp.float32)
            for name, value in lmu._cell_weights.items()
            if name in names and (name != "W_y" or self.has_output)
        }
        if train_theta:
            self.params["log_theta"] = jnp.asarray(np.log(lmu.theta), jnp.float32)
            A, B = legendre_delay(1.0, lmu.order)
            self.A, self.B = jnp.asarray(A, jnp.float32), jnp.asarray(B, jnp.float32)
        else:
            self._system64 = (np.asarray(lmu.memory.Ad), np.asarray(lmu.memory.Bd))
            self._responses = {}
            self.Ad = jnp.asarray(lmu.memory.Ad, jnp.float32)
            self.Bd = jnp.asarray(lmu.memory.Bd, jnp.float32)

        num, den = loop_transfer_function(lmu.synapse or nengo.Lowpass(0), lmu.dt)
        F_A, F_B, F_C, _ = scipy.signal.tf2ss(num, den)
        self.F_A = jnp.asarray(F_A, jnp.float32)
        self.F_B = jnp.asarray(F_B[:, 0], jnp.float32)
        self.F_C = jnp.asarray(F_C[0], jnp.float32)
        self.output_filter = None
        if lmu.synapse is not None:
            num, den = loop_transfer_function(lmu.synapse, lmu.dt)
            self.output_filter = (num, den)
            O_A, O_B, O_C, O_D = scipy.signal.tf2ss(num, den)
            self.O_A = jnp.asarray(O_A, jnp.float32)
            self.O_B = jnp.asarray(O_B[:, 0], jnp.float32)
            self.O_C = jnp.asarray(O_C[0], jnp.float32)
            self.O_D = float(O_D[0, 0])

    def uses_last_state_only(self, last_step_only):
        """Whether the outputs at the last step need only the last memory state."""
        return (
            self.form == "auto"
            and last_step_only
            and not self.memory_feedback
            and not self.hidden_feedback
            and self.output_filter is None
        )

    def system(self, params):
        """``(Ad, Bd)`` of each memory channel for ``params``."""
        if not self.train_theta:
            return self.Ad, self.Bd
        step = self.dt / jnp.exp(params["log_theta"])
        A, B = self.A * step, self.B * step
        if self.discretizer == "zoh":
            n = self.order
            block = jnp.zeros((n + 1, n + 1), A.dtype)
            block = block.at[:n, :n].set(A).at[:n, n:].set(B)
            expm = jax.scipy.linalg.expm(block)
            return expm[:n, :n], expm[:n, n:]
        identity = jnp.eye(self.order, dtype=A.dtype)
        if self.discretizer == "euler":
            return identity + A, B
        left = identity - A / 2
        return (
            jnp.linalg.solve(left, identity + A / 2),
            jnp.linalg.solve(left, B),
        )

    def outputs(self, params, inputs, last_step_only=False, noise=None):
        """The network's outputs for ``inputs`` (batch, n_steps, size_in).

        ``noise``, if given, is added to the hidden activities (same shape).
        Returns (batch, n_steps, size_out), or (batch, size_out) at the last step
        only; the hidden activities as the output connection carries them if the
        network has no output weights.
        """
        Ad, Bd = self.system(params)
        x = inputs
        u_direct = x @ params["e_x"].T
        if "u_bias" in params:
            u_direct = u_direct + params["u_bias"]
        currents = params["bias"]
        if "W_x" in params:
            currents = currents + x @ params["W_x"].T

        if self.uses_last_state_only(last_step_only):
            memory = self._last_memory(u_direct, Ad, Bd)
            currents = currents[:, -1] if currents.ndim == 3 else currents
            hidden = self.activation(currents + memory @ params["W_m"].T)
            if noise is not None:
                hidden = hidden + noise[:, -1]
            return hidden @ params["W_y"].T if self.has_output else hidden

        currents = jnp.broadcast_to(currents, x.shape[:2] + (self.n_hidden,))
        if self.memory_feedback or self.form == "scan":
            hidden = self._scan(params, u_direct, currents, Ad, Bd, None, noise)
        else:
            memory = _delay(self._memory(u_direct, Ad, Bd), self.memory_delay)
            currents = currents + memory @ params["W_m"].T
            if self.hidden_feedback:
                hidden = self._scan(params, None, currents, Ad, Bd, memory, noise)
            else:
                hidden = self.activation(currents)
                if noise is not None:
                    hidden = hidden + noise
        outputs = hidden @ params["W_y"].T if self.has_output else hidden
        if self.output_filter is not None:
            outputs = self._filter_output(outputs)
        return outputs[:, -1] if last_step_only else outputs

    def _impulse_response(self, Ad, Bd, n_steps):
        """``H[j] = Ad^j Bd`` for ``j < n_steps``, (n_steps, order).

        A constant computed once per length where ``theta`` is fixed; otherwise by
        doubling (``log2(n_steps)`` products, not a scan of ``n_steps``).
        """
        if not self.train_theta:
            if n_steps not in self._responses:
                response = impulse_response(*self._system64, n_steps)
                self._responses[n_steps] = response.astype(np.float32)
            return jnp.asarray(self._responses[n_steps])
        response, power = Bd[None, :, 0], Ad
        while len(response) < n_steps:
            response = jnp.concatenate([response, response @ power.T])
            power = power @ power
        return response[:n_steps]

    def _memory(self, u, Ad, Bd):
        """The memory states of all steps, (batch, n_steps, memory_d * order)."""
        batch, n_steps, _ = u.shape
        n_fft = 2 ** int(np.ceil(np.log2(max(2 * n_steps - 1, 1))))
        response = jnp.fft.rfft(self._impulse_response(Ad, Bd, n_steps), n_fft, axis=0)
        spectra = jnp.fft.rfft(u, n_fft, axis=1)
        states = jnp.fft.irfft(
            spectra[..., None] * response[:, None, :], n_fft, axis=1
        )[:, :n_steps]
        return states.reshape(batch, n_steps, self.memory_d * self.order)

    def _last_memory(self, u, Ad, Bd):
        """The memory state the hidden layer sees at the last step."""
        batch, n_steps, _ = u.shape
        seen = n_steps - self.memory_delay
        if seen <= 0:
            return jnp.zeros((batch, self.memory_d * self.order), u.dtype)
        response = self._impulse_response(Ad, Bd, seen)
        state = jnp.einsum("btc,to->bco", u[:, seen - 1 :: -1], response)
        return state.reshape(batch, self.memory_d * self.order)

    def _scan(self, params, u_direct, currents, Ad, Bd, memory, noise):
        """Step the cell as `evaluate_cell` does (memory given if not fed back)."""
        batch = currents.shape[0]
        memory_size = self.memory_d * self.order
        n_filter = len(self.F_A)
        dtype = currents.dtype
        carry = dict(
            hidden_filter=jnp.zeros((batch, self.n_hidden, n_filter), dtype),
        )
        steps = dict(currents=currents)
        if noise is not None:
            steps["noise"] = noise
        if memory is None:
            steps["u"] = u_direct
            carry["state"] = jnp.zeros((batch, self.memory_d, self.order), dtype)
            carry["pending"] = jnp.zeros((self.memory_delay, batch, memory_size), dtype)
            carry["memory_filter"] = jnp.zeros((batch, memory_size, n_filter), dtype)

        def step(carry, inputs):
            carry = dict(carry)
            hidden_fed_back = carry["hidden_filter"] @ self.F_C
            currents = inputs["currents"]
            if memory is None:
                u = inputs["u"]
                if "e_h" in params:
                    u = u + hidden_fed_back @ params["e_h"].T
                if "e_m" in params:
                    u = u + (carry["memory_filter"] @ self.F_C) @ params["e_m"].T
                state = carry["state"] @ Ad.T + u[..., None] * Bd[:, 0]
                carry["state"] = state
                fresh = state.reshape(batch, memory_size)[None]
                pending = jnp.concatenate([carry["pending"], fresh])
                seen, carry["pending"] = pending[0], pending[1:]
                currents = currents + seen @ params["W_m"].T
                carry["memory_filter"] = (
                    carry["memory_filter"] @ self.F_A.T + seen[..., None] * self.F_B
                )
            if "W_h" in params:
                currents = currents + hidden_fed_back @ params["W_h"].T
            hidden = self.activation(currents)
            if "noise" in inputs:
                hidden = hidden + inputs["noise"]
            carry["hidden_filter"] = (
                carry["hidden_filter"] @ self.F_A.T + hidden[..., None] * self.F_B
            )
            return carry, hidden

        steps = {key: jnp.swapaxes(value, 0, 1) for key, value in steps.items()}
        _, hidden = jax.lax.scan(step, carry, steps)
        return jnp.swapaxes(hidden, 0, 1)

    def _filter_output(self, outputs):
        """The output synapse, as `scipy.signal.lfilter` applies it."""

        def step(state, value):
            return (
                state @ self.O_A.T + value[..., None] * self.O_B,
                state @ self.O_C + self.O_D * value,
            )

        state = jnp.zeros(outputs.shape[:1] + outputs.shape[2:] + (len(self.O_A),))
        _, filtered = jax.lax.scan(step, state, jnp.swapaxes(outputs, 0, 1))
        return jnp.swapaxes(filtered, 0, 1)


def _delay(sequences, steps):
    if steps == 0:
        return sequences
    return jnp.pad(sequences, ((0, 0), (steps, 0), (0, 0)))[:, : -steps or None]


def loss_function(loss):
    """The loss between outputs and targets, averaged over all values."""
    if loss == "mse":
        return lambda outputs, targets: jnp.mean((outputs - targets) ** 2)
    return lambda outputs, targets: jnp.mean(
        optax.softmax_cross_entropy(outputs, targets)
    )


def check_training_data(lmu, inputs, targets, loss):
    """``(inputs, targets, last_step_only)`` checked as `LMU.train` takes them."""
    inputs = check_matrix(inputs, "inputs", (None, None, lmu.size_in), obj=lmu)
    try:
        last_step_only = np.ndim(targets) == 2
    except ValueError:  # ragged; check_matrix says what is expected
        last_step_only = False
    shape = (len(inputs),) if last_step_only else inputs.shape[:2]
    targets = check_matrix(targets, "targets", shape + (lmu.size_out,), obj=lmu)
    if loss == "crossentropy":
        one_hot = np.all((targets == 0) | (targets == 1)) and np.all(
            targets.sum(axis=-1) == 1
        )
        if not one_hot:
            raise ValidationError(
                "must be one-hot (each row all zeros but a single one) for "
                "loss='crossentropy'; use loss='mse' for other targets",
                attr="targets",
                obj=lmu,
            )
    return inputs, targets, last_step_only


def make_update(cell, optimizer, compute_loss, last_step_only, noise=0.0):
    """One jitted training step of ``cell``'s parameters on a minibatch.

    The step `train_lmu` takes per minibatch, for benchmarks and custom loops.

    Parameters
    ----------
    cell : Cell
        The forward pass.
    optimizer : optax.GradientTransformation
        Updates the parameters from their gradients.
    compute_loss : callable
        ``compute_loss(outputs, targets)``, a scalar (e.g. `loss_function`).
    last_step_only : bool
        Whether the targets are for the last step only.
    noise : float, optional
        Standard deviation of the Gaussian noise added to the hidden activities.

    Returns
    -------
    update : callable
        ``update(params, opt_state, inputs, targets, key)`` gives ``(params,
        opt_state, loss)`` after one step; ``key`` (a JAX PRNG key) draws the
        noise.

    Examples
    --------
    >>> from nengo_lmu import LMU
    >>> lmu = LMU(0.01, 4, 8, size_out=1, neuron_type=nengo.RectifiedLinear(),
    ...           seed=0, add_to_container=False)
    >>> cell, optimizer = Cell(lmu), optax.adam(1e-3)
    >>> update = make_update(cell, optimizer, loss_function("mse"), True)
    >>> params, state = cell.params, optimizer.init(cell.params)
    >>> x, y = jnp.ones((2, 10, 1)), jnp.zeros((2, 1))
    >>> params, state, loss = update(params, state, x, y, jax.random.PRNGKey(0))
    >>> bool(jnp.isfinite(loss))
    True
    """

    def batch_loss(params, x, y, key):
        hidden_noise = None
        if noise > 0:
            shape = x.shape[:2] + (cell.n_hidden,)
            hidden_noise = noise * jax.random.normal(key, shape, x.dtype)
        return compute_loss(cell.outputs(params, x, last_step_only, hidden_noise), y)

    @jax.jit
    def update(params, opt_state, x, y, key):
        value, grads = jax.value_and_grad(batch_loss)(params, x, y, key)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, value

    return update


def train_lmu(
    lmu,
    inputs,
    targets,
    epochs,
    loss="mse",
    batch_size=32,
    learning_rate=1e-3,
    schedule="constant",
    weight_decay=0.0,
    validation_split=0.0,
    patience=None,
    train_theta=False,
    noise=0.0,
    surrogate_width=0.05,
    seed=None,
    progress_bar=True,
):
    """Train the weights of ``lmu`` by backpropagation and install them.

    See `LMU.train`, which calls this.
    """
    loss = check_choice(loss, "loss", LOSSES, obj=lmu)
    epochs = check_integer(epochs, "epochs", low=1, obj=lmu)
    batch_size = check_integer(batch_size, "batch_size", low=1, obj=lmu)
    learning_rate = check_positive(learning_rate, "learning_rate", obj=lmu)
    schedule = check_choice(schedule, "schedule", SCHEDULES, obj=lmu)
    weight_decay = check_nonnegative(weight_decay, "weight_decay", obj=lmu)
    validation_split = check_nonnegative(validation_split, "validation_split", obj=lmu)
    if validation_split >= 1:
        raise ValidationError(
            f"must be in [0, 1) (got {validation_split})",
            attr="validation_split",
            obj=lmu,
        )
    if patience is not None:
        patience = check_integer(patience, "patience", low=1, obj=lmu)
        if validation_split == 0:
            raise ValidationError(
                f"needs a validation set to stop early (got patience={patience} "
                "with validation_split=0)",
                attr="patience",
                obj=lmu,
            )
    train_theta = check_bool(train_theta, "train_theta", obj=lmu)
    noise = check_nonnegative(noise, "noise", obj=lmu)
    if lmu.size_out is None:
        raise ValidationError(
            "must be set to train (with size_out=None the output is the hidden "
            "activities, which have no output weights)",
            attr="size_out",
            obj=lmu,
        )
    if train_theta and lmu.memory.n_neurons is not None:
        raise ValidationError(
            "can only be trained with the exact memory (memory_neurons=None): a "
            "neural memory's realisation, synapse mapping and decoders are solved "
            "for theta when it is built",
            attr="train_theta",
            obj=lmu,
        )
    try:
        cell = Cell(lmu, train_theta=train_theta, surrogate_width=surrogate_width)
    except ValidationError as error:
        raise ValidationError(error.args[0], attr=error.attr, obj=lmu) from None
    inputs, targets, last_step_only = check_training_data(lmu, inputs, targets, loss)

    rng = np.random.default_rng(seed)
    n_validation = int(round(validation_split * len(inputs)))
    if validation_split > 0 and not 0 < n_validation < len(inputs):
        raise ValidationError(
            f"leaves {len(inputs) - n_validation} training and {n_validation} "
            f"validation sequences of {len(inputs)}; both must be >= 1",
            attr="validation_split",
            obj=lmu,
        )
    n_train = len(inputs) - n_validation
    data = (inputs.astype(np.float32), targets.astype(np.float32))
    train_data = tuple(array[:n_train] for array in data)
    validation_data = tuple(array[n_train:] for array in data)

    compute_loss = loss_function(loss)
    n_batches = int(np.ceil(n_train / batch_size))
    if schedule == "cosine":
        learning_rate = optax.cosine_decay_schedule(learning_rate, epochs * n_batches)
    optimizer = optax.adamw(
        learning_rate,
        weight_decay=weight_decay,
        mask=lambda params: {name: name != "log_theta" for name in params},
    )

    update = make_update(cell, optimizer, compute_loss, last_step_only, noise)

    @jax.jit
    def evaluate(params, x, y):
        outputs = cell.outputs(params, x, last_step_only)
        correct = jnp.argmax(outputs, -1) == jnp.argmax(y, -1)
        return compute_loss(outputs, y) * len(x), jnp.sum(correct)

    def evaluate_all(params, x, y):
        totals = np.zeros(2)
        for start in range(0, len(x), 4 * batch_size):
            stop = start + 4 * batch_size
            totals += np.array(evaluate(params, x[start:stop], y[start:stop]))
        return totals / len(x)

    params = cell.params
    opt_state = optimizer.init(params)
    key = jax.random.PRNGKey(rng.integers(2**31))
    history = {"loss": [], "val_loss": [], "val_accuracy": []}
    best = (np.inf, params, 0)
    waited = 0
    progress = Progress("Training", "Training", max_steps=epochs * n_batches)
    with ProgressTracker(progress_bar, progress):
        for epoch in range(epochs):
            order = rng.permutation(n_train)
            losses = []
            for start in range(0, n_train, batch_size):
                index = order[start : start + batch_size]
                key, subkey = jax.random.split(key)
                params, opt_state, value = update(
                    params, opt_state, *(a[index] for a in train_data), subkey
                )
                losses.append(float(value) * len(index))
                progress.step()
            history["loss"].append(sum(losses) / n_train)
            if not np.isfinite(history["loss"][-1]):
                raise ValidationError(
                    f"made the training diverge (loss {history['loss'][-1]} in "
                    f"epoch {epoch}); use a smaller learning_rate",
                    attr="learning_rate",
                    obj=lmu,
                )
            if n_validation:
                val_loss, val_accuracy = evaluate_all(params, *validation_data)
                history["val_loss"].append(val_loss)
                if loss == "crossentropy":
                    history["val_accuracy"].append(val_accuracy)
                if val_loss < best[0]:
                    best, waited = (val_loss, params, epoch), 0
                else:
                    waited += 1
                    if patience is not None and waited >= patience:
                        break
    if n_validation:
        params = best[1]
        history["best_epoch"] = best[2]
    history["epochs"] = len(history["loss"])
    weights = {
        name: np.asarray(value, dtype=np.float64)
        for name, value in params.items()
        if name != "log_theta"
    }
    theta = float(np.exp(params["log_theta"])) if train_theta else None
    lmu._install_weights(weights, theta=theta)
    return {key: value for key, value in history.items() if value != []}


__all__ = ["Cell", "make_update", "rate_function", "train_lmu"]
