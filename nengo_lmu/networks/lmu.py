"""The Legendre Memory Unit cell as a nengo network, learning online."""

import importlib
import inspect
from collections.abc import Mapping

import nengo
import numpy as np
import scipy.linalg
import scipy.signal
from nengo.exceptions import ValidationError
from nengo.params import Default

from nengo_lmu.discretize import (
    as_loop_synapse,
    legendre_discretization,
    loop_transfer_function,
)
from nengo_lmu.interop.keras import keras_lmu_arguments
from nengo_lmu.legendre import legendre_delay
from nengo_lmu.networks.memory import LegendreMemory
from nengo_lmu.sequence import CELL_WEIGHT_SHAPES, evaluate_cell
from nengo_lmu.validation import (
    IntegerParam,
    PositiveParam,
    check_bool,
    check_instance,
    check_integer,
    check_matrix,
    check_seed,
)

# Each normalised input dimension of the hidden layer has unit rms, so a unit
# encoder's projection has unit rms whatever the dimension; dividing by this radius
# puts +-2.5 standard deviations at the neurons' +-1 range (B3 with PES measured
# the same NRMSE, 0.084, for radii from 2.1 to 2.8, and 0.26 at 5.7).
HIDDEN_RADIUS = 2.5

# Hidden activities computed at a time by `LMU.predict` and `LMU.fit` (values).
ACTIVITY_CHUNK_SIZE = 2**23

# The ridge parameters `LMU.fit` chooses from, as nengo's LstsqL2 `reg` (relative
# to the largest activity), and the share of the data it holds out to choose.
FIT_REGS = np.logspace(-6, 0, 25)
HELD_OUT_EVERY = 5

# Data-drawn hidden layers: statistics from at most this many steps;
# directions of less variance than the floor (relative to the largest) are not
# amplified further; intercepts are kept under the cap, at which the gain is
# already 20 times that of intercept 0.
WHITENING_SAMPLES = 100_000
WHITENING_FLOOR = 1e-2
MAX_DATA_INTERCEPT = 0.95
# Each neuron's intercept is its projection at a random quantile of this many
# random steps.
INTERCEPT_SAMPLES = 2000


class LMU(nengo.Network):
    r"""A Legendre Memory Unit: a Legendre memory coupled to a hidden layer.

    The cell of Voelker, Kajić and Eliasmith (2019), one step per simulator time
    step:

    .. math::

        u[k] &= e_x x[k] + e_h h[k-1] + e_m m[k-1] \\
        m[k] &= A_d m[k-1] + B_d u[k] \\
        h[k] &= f(W_m m[k] + W_x x[k] + W_h h[k-1] + b) \\
        y[k] &= W_y h[k]

    The memory :math:`m` holds ``memory_d`` channels, each a `LegendreMemory` of
    ``order`` coefficients over a window ``theta`` (exact if ``memory_neurons`` is
    None, otherwise neural with that many neurons per dimension). The terms with
    :math:`e_h`, :math:`e_m`, :math:`W_x` and :math:`W_h` exist only when
    ``hidden_to_memory``, ``memory_to_memory``, ``input_to_hidden`` and
    ``hidden_to_hidden`` are set. The hidden layer :math:`h` is the activity of
    ``n_hidden`` neurons of ``neuron_type`` (rate or spiking), which implement
    :math:`f`; the kernels act on their input currents.

    **Initialisation.** Arrays given for ``encoders`` or ``kernels`` are used as
    they are. Otherwise :math:`e_x` is an identity (or uniform) map of the input
    onto the memory channels, :math:`e_h, e_m, W_h` are zero, and :math:`W_m,
    W_x, b` are nengo's own NEF initialisation made explicit: each hidden neuron
    gets a random unit encoder over the memory state normalised to unit rms per
    dimension and decorrelated (the memory's balanced realisation, `realize`,
    for input of rms ``radius / 2`` band-limited to ``1 / theta`` Hz), with gain
    and bias from its maximum rate (200 to 400 Hz) and intercept (-0.5 to 0.5,
    matched to the spread of the projections; a config's ``max_rates`` and
    ``intercepts`` for `nengo.Ensemble` replace these), so that the hidden
    layer sees its input spread over its neurons' range whatever the neuron type
    or memory scale. `fit` can draw :math:`W_m, W_x, b` again from the
    statistics of the training data.

    **Seeds.** The default kernels are drawn with ``seed`` if it is given.
    Otherwise, like nengo's seeds for unseeded objects, they come from the seed
    of the nearest seeded network the LMU is created in, and the LMU's place
    among that network's subnetworks (and theirs, down to the LMU): two
    unseeded LMUs in one model differ, and the same model seed gives the same
    kernels. (nengo draws its seeds at build time, from all the objects of a
    network; the kernels are drawn when the LMU is created, so they cannot be
    the seeds nengo would give the LMU.) Created outside any seeded network,
    an unseeded LMU's seed comes from its place in the networks around it
    alone, the same on every run (where nengo would draw a random seed for an
    unseeded model), and outside any network (or with
    ``add_to_container=False``) it is fixed: such LMUs have the same kernels
    until they are given a ``seed``. The seed used is ``kernel_seed``.

    **Learning.** The output :math:`y` (``size_out`` dimensions) is a connection
    from the hidden neurons, with weights :math:`W_y` (zero unless given in
    ``kernels["output"]``) learned online by ``learning_rule_type`` (for example
    ``nengo.PES()`` or ``nengo.RLS()``, or a list of rules). Feed ``error`` with
    *actual - target* (nengo's convention). To switch learning off, stop the
    error: feed it through a gate, such as a Node that multiplies it by 0 or 1,
    or inhibit the ensemble that computes it. With the default initialisation
    and 500 to 1000 spiking hidden neurons, ``PES`` learning rates up to about
    ``3e-4`` were stable (``2e-4`` learns a 0.5 s delay to NRMSE 0.07 in 80 s;
    ``benchmarks/online_learning.py``); ``5e-4`` diverged with 500 neurons.

    Parameters
    ----------
    theta : float
        Length of the memory window in seconds (> 0).
    order : int
        Legendre coefficients per memory channel (>= 1).
    n_hidden : int
        Number of hidden neurons (>= 1).
    size_in : int, optional
        Input dimensions (>= 1).
    memory_d : int, optional
        Memory channels (>= 1).
    size_out : int or None, optional
        Output dimensions (>= 1); None makes ``output`` the hidden activities.
    neuron_type : nengo.neurons.NeuronType, optional
        Neuron type of the hidden layer (nengo's default: LIF). ``nengo.Direct()``
        makes the hidden layer linear and exact: a Node instead of neurons
        (:math:`f` is the identity; it cannot learn online).
    memory_neurons : int or None, optional
        Neurons per memory dimension; None for the exact memory. The memory's
        neurons are of the hidden layer's ``neuron_type`` (rate or spiking alike),
        or of nengo's default type (a config's, else LIF) when the hidden layer is
        ``Direct()``; ``memory_kwargs=dict(neuron_type=...)`` chooses another.
    hidden_to_memory, memory_to_memory, input_to_hidden, hidden_to_hidden : bool
        Which optional connections of the cell to include.
    learning_rule_type : nengo.learning_rules.LearningRuleType, list or dict, optional
        Rule(s) learning the output weights, as `nengo.Connection` takes them;
        requires ``size_out``. All of them learn from ``error``.
    encoders : dict, optional
        Arrays for ``"input"`` (:math:`e_x`, (memory_d, size_in)), ``"bias"`` (a
        constant added to :math:`u`, (memory_d,); none by default), ``"hidden"``
        (:math:`e_h`, (memory_d, n_hidden)) and ``"memory"`` (:math:`e_m`,
        (memory_d, memory_d * order)).
    kernels : dict, optional
        Arrays for ``"memory"`` (:math:`W_m`, (n_hidden, memory_d * order)),
        ``"input"`` (:math:`W_x`, (n_hidden, size_in)), ``"hidden"``
        (:math:`W_h`, (n_hidden, n_hidden)), ``"bias"`` (:math:`b`, (n_hidden,))
        and ``"output"`` (:math:`W_y`, (size_out, n_hidden)).
    radius : float, optional
        Expected magnitude of the input (> 0), for the default kernels and the
        neural memory.
    synapse : nengo.synapses.Synapse or float or None, optional
        Synapse of the connections carrying the hidden activities (to the output,
        to the memory and to itself) and the memory feedback. By default None for
        rate neurons, which is exact (with the one-step delays of the cell), and
        ``Lowpass(0.01)`` for spiking neurons, whose spikes need smoothing.
    dt : float, optional
        Simulator time step the network is built for, in seconds (> 0); the
        memory refuses a simulator with another.
    discretizer : {"zoh", "euler", "bilinear"}, optional
        How the memory is discretised (see `LegendreMemory`).
    memory_kwargs : dict, optional
        Further arguments of the `LegendreMemory`, such as ``neuron_type``,
        ``synapse``, ``input_process``, ``solver``, ``loop`` and
        ``min_coupling`` for a neural memory (the arguments the LMU sets itself
        are refused here).
    **kwargs
        Passed to `nengo.Network` (``label``, ``seed``, ``add_to_container``).

    Attributes
    ----------
    input : nengo.Node
        The input :math:`x`.
    output : nengo.Node
        The output :math:`y` (the hidden activities if ``size_out`` is None).
    memory : LegendreMemory
        The memory.
    hidden : nengo.Ensemble or nengo.Node
        The hidden neurons (their input currents are the kernels' sum); a Node
        for ``neuron_type=nengo.Direct()``. With the default initialisation its
        ``max_rates`` and ``intercepts`` are the arrays the neurons have (drawn
        from a config's ``max_rates`` and ``intercepts`` for ensembles where one
        sets them); with ``kernels["bias"]`` given, its ``gain`` and ``bias``.
    neuron_type : nengo.neurons.NeuronType
        The hidden layer's neuron type.
    synapse : nengo.LinearFilter or None
        The synapse of the connections carrying the hidden activities.
    kernel_seed : int
        The seed the default kernels were drawn with (see **Seeds**).
    encoders, kernels : dict
        The weights in use, as the ``encoders`` and ``kernels`` arguments take
        them (copies): ``LMU(..., encoders=lmu.encoders, kernels=lmu.kernels)``
        builds the same cell, for example on other neurons.
    error : nengo.Node or None
        Error input of the learning rules (*actual - target*); None without
        learning.
    weight_connections : dict
        The connections of the cell by the name of their weights: ``"e_x"``,
        ``"e_h"``, ``"e_m"``, ``"W_m"``, ``"W_x"``, ``"W_h"`` and ``"W_y"``. Those
        into ``hidden.neurons`` carry the kernels divided by ``hidden.gain``,
        since nengo multiplies the input of neurons by their gain.

    Examples
    --------
    Learn to delay the input by half a second, online:

    >>> import nengo
    >>> with nengo.Network(seed=0) as model:
    ...     stim = nengo.Node(nengo.processes.WhiteSignal(10, high=2, rms=0.3))
    ...     lmu = LMU(theta=1.0, order=8, n_hidden=200, size_out=1,
    ...               neuron_type=nengo.RectifiedLinear(),
    ...               learning_rule_type=nengo.PES(1e-3))
    ...     _ = nengo.Connection(stim, lmu.input, synapse=None)
    ...     target = nengo.Node(size_in=1)
    ...     _ = nengo.Connection(stim, target, synapse=0.5)  # a stand-in target
    ...     _ = nengo.Connection(lmu.output, lmu.error, synapse=None)
    ...     _ = nengo.Connection(target, lmu.error, transform=-1, synapse=None)
    >>> lmu.hidden.n_neurons, lmu.output.size_out
    (200, 1)
    """

    theta = PositiveParam("theta")
    order = IntegerParam("order", low=1)
    n_hidden = IntegerParam("n_hidden", low=1)
    size_in = IntegerParam("size_in", low=1)
    memory_d = IntegerParam("memory_d", low=1)
    size_out = IntegerParam("size_out", low=1, optional=True)
    radius = PositiveParam("radius")
    dt = PositiveParam("dt")

    def __init__(
        self,
        theta,
        order,
        n_hidden,
        size_in=1,
        memory_d=1,
        size_out=None,
        neuron_type=Default,
        memory_neurons=None,
        hidden_to_memory=False,
        memory_to_memory=False,
        input_to_hidden=False,
        hidden_to_hidden=False,
        learning_rule_type=None,
        encoders=None,
        kernels=None,
        radius=1.0,
        synapse=Default,
        dt=0.001,
        discretizer="zoh",
        memory_kwargs=None,
        **kwargs,
    ):
        kwargs.setdefault("label", "LMU")
        super().__init__(**kwargs)
        self.theta = theta
        self.order = order
        self.n_hidden = n_hidden
        self.size_in = size_in
        self.memory_d = memory_d
        self.size_out = size_out
        self.radius = radius
        self.dt = dt
        check_seed(self.seed, obj=self)
        if neuron_type is not Default:
            check_instance(
                neuron_type,
                "neuron_type",
                nengo.neurons.NeuronType,
                "a nengo NeuronType instance",
                obj=self,
            )
        if memory_neurons is not None:
            check_integer(memory_neurons, "memory_neurons", low=1, obj=self)
        options = {
            name: check_bool(value, name, obj=self)
            for name, value in dict(
                hidden_to_memory=hidden_to_memory,
                memory_to_memory=memory_to_memory,
                input_to_hidden=input_to_hidden,
                hidden_to_hidden=hidden_to_hidden,
            ).items()
        }
        for name, value in dict(encoders=encoders, kernels=kernels).items():
            if value is not None:
                check_instance(
                    value,
                    name,
                    Mapping,
                    "None or a mapping of names to arrays",
                    obj=self,
                )
        memory_kwargs = {} if memory_kwargs is None else memory_kwargs
        check_instance(
            memory_kwargs,
            "memory_kwargs",
            Mapping,
            "None or a mapping of LegendreMemory arguments",
            obj=self,
        )
        memory_args = dict(
            theta=self.theta,
            order=self.order,
            size_in=self.memory_d,
            n_neurons=memory_neurons,
            dt=self.dt,
            radius=self.radius,
            discretizer=discretizer,
            label="memory",
        )
        accepted = set(inspect.signature(LegendreMemory).parameters) | {"seed"}
        accepted -= {"kwargs", *memory_args}
        refused = sorted(set(memory_kwargs) - accepted, key=str)
        if refused:
            raise ValidationError(
                f"has keys {refused} that the LMU sets itself or LegendreMemory "
                f"does not take (accepted: {sorted(accepted)})",
                attr="memory_kwargs",
                obj=self,
            )
        if learning_rule_type is not None and self.size_out is None:
            raise ValidationError(
                "needs size_out: the learning rules learn the output weights, and "
                "with size_out=None the output is the hidden activities, which "
                "have no weights to learn",
                attr="learning_rule_type",
                obj=self,
            )
        self.weight_connections = {}
        self.kernel_seed = self.seed if self.seed is not None else _kernel_seed(self)
        rng = np.random.RandomState(self.kernel_seed)
        if neuron_type is Default:
            neuron_type = nengo.Config.default(nengo.Ensemble, "neuron_type")
        self.linear_hidden = isinstance(neuron_type, nengo.Direct)
        if learning_rule_type is not None and self.linear_hidden:
            raise ValidationError(
                "needs hidden neurons: with neuron_type=Direct() the hidden layer "
                "is a Node, and nengo learns only on connections from neurons",
                attr="learning_rule_type",
                obj=self,
            )
        if memory_neurons is not None and "neuron_type" not in memory_kwargs:
            memory_kwargs = dict(memory_kwargs)
            if not self.linear_hidden:
                memory_kwargs["neuron_type"] = neuron_type
        if synapse is Default:
            synapse = nengo.Lowpass(0.01) if neuron_type.spiking else None
        self.synapse = None if synapse is None else as_loop_synapse(synapse)
        recurrent_synapse = self.synapse or nengo.Lowpass(0)

        with self:
            self.input = nengo.Node(size_in=self.size_in, label="input")
            self.memory = LegendreMemory(**memory_args, **memory_kwargs)
            weights = self._weights(
                encoders,
                kernels,
                neuron_type,
                options,
                rng,
            )
            gain = weights.pop("gain")
            tuning = weights.pop("tuning")
            # what the connections into the hidden neurons are divided by
            self._hidden_gain = None if self.linear_hidden else gain
            if self.linear_hidden:
                self.hidden = nengo.Node(size_in=self.n_hidden, label="hidden")
                hidden_neurons = self.hidden
            else:
                self.hidden = nengo.Ensemble(
                    self.n_hidden, 1, neuron_type=neuron_type, label="hidden", **tuning
                )
                hidden_neurons = self.hidden.neurons
            needs_one = "u_bias" in weights or self.linear_hidden
            one = nengo.Node([1.0], label="one") if needs_one else None
            routes = {
                "e_x": (self.input, self.memory.input, None),
                "u_bias": (one, self.memory.input, None),
                "e_h": (hidden_neurons, self.memory.input, recurrent_synapse),
                "e_m": (self.memory.output, self.memory.input, recurrent_synapse),
                "W_m": (self.memory.output, hidden_neurons, None),
                "W_x": (self.input, hidden_neurons, None),
                "W_h": (hidden_neurons, hidden_neurons, recurrent_synapse),
            }
            if self.linear_hidden:
                routes["bias"] = (one, hidden_neurons, None)
            for name, (pre, post, connection_synapse) in routes.items():
                if name in weights:
                    transform = weights[name]
                    if pre is one and one is not None:
                        transform = transform[:, None]
                    elif post == hidden_neurons and not self.linear_hidden:
                        # nengo multiplies the input of neurons by their gain
                        transform = transform / gain[:, None]
                    self.weight_connections[name] = nengo.Connection(
                        pre, post, transform=transform, synapse=connection_synapse
                    )
            self.error = None
            if self.size_out is None:
                self.output = nengo.Node(size_in=self.n_hidden, label="output")
                nengo.Connection(hidden_neurons, self.output, synapse=self.synapse)
            else:
                self.output = nengo.Node(size_in=self.size_out, label="output")
                self.weight_connections["W_y"] = nengo.Connection(
                    hidden_neurons,
                    self.output,
                    transform=weights["W_y"],
                    synapse=self.synapse,
                    learning_rule_type=learning_rule_type,
                )
                if learning_rule_type is not None:
                    self.error = nengo.Node(size_in=self.size_out, label="error")
                    rules = self.weight_connections["W_y"].learning_rule
                    if isinstance(rules, Mapping):
                        rules = list(rules.values())
                    for rule in rules if isinstance(rules, list) else [rules]:
                        nengo.Connection(self.error, rule, synapse=None)
        self.neuron_type = neuron_type
        self._cell_weights = weights
        # the hidden layer's own kernels, which `fit` may draw again from data
        self._drawn_kernels = not any(
            key in (kernels or {}) for key in ("memory", "input", "bias")
        )

    @property
    def encoders(self):
        """dict: The encoders as the ``encoders`` argument takes them."""
        return self._arguments("encoders")

    @property
    def kernels(self):
        """dict: The kernels as the ``kernels`` argument takes them (with
        ``"output"`` as learned by `fit`, not online)."""
        return self._arguments("kernels")

    def _arguments(self, group):
        return {
            key: self._cell_weights[name].copy()
            for name, (source, key) in _SOURCES.items()
            if source == group and name in self._cell_weights
        }

    def predict(self, inputs):
        """The outputs of the network for whole input sequences, in numpy.

        A reference computation of what the network computes with non-spiking
        neurons: the cell equations (`evaluate_cell`) with the hidden layer's rate
        function, the memory's `~LegendreMemory.lag`, and the synapses of the
        recurrent and output connections in discrete time. Step ``k`` of the
        result is what a probe on ``output`` records at step ``k`` (time
        ``(k + 1) * dt``) when ``inputs[i, k]`` is presented at that step with
        ``synapse=None`` (for example by
        ``nengo.processes.PresentInput(inputs[i], dt)``): the constant lag
        between the two is 0 steps.

        **Exactness.** With the exact memory and a hidden neuron type whose
        rates are a function of the present input current alone (nengo's
        ``RectifiedLinear``, ``LIFRate``, ``Sigmoid``, ``Tanh``, ``RegularSpiking``
        rates, or ``Direct()``), the outputs equal the simulation's to rounding
        error. Types with a state beyond the current are modelled by their
        steady-state rates: ``AdaptiveLIFRate`` without its adaptation (which
        lowers the rates it settles to; outputs off by a few percent). A neural
        memory adds its neurons' error, and spiking neurons their spike noise
        around these rates. Online learning is not modelled: the outputs use the
        current output weights.

        Parameters
        ----------
        inputs : (n_seqs, n_steps, size_in) array_like
            Input sequences, one row per simulator time step (at least one
            sequence of at least one step).

        Returns
        -------
        outputs : (n_seqs, n_steps, size_out) ndarray
            The output at every step (the hidden activities if ``size_out`` is
            None).

        Examples
        --------
        >>> import nengo
        >>> lmu = LMU(theta=0.05, order=4, n_hidden=20, size_out=1,
        ...           neuron_type=nengo.RectifiedLinear(), seed=0)
        >>> lmu.predict(np.ones((3, 100, 1))).shape
        (3, 100, 1)
        """
        inputs = self._check_sequences(inputs)
        activities = self._activities(inputs)
        if self.size_out is None:
            return activities
        return activities @ self._cell_weights["W_y"].T

    def fit(self, inputs, targets, solver=None, init=None):
        """Solve the output weights offline from sequences, and install them.

        Computes the hidden activities that the output connection carries (with
        `predict`'s reference computation) and solves for the weights that map
        them onto ``targets``. The weights become the output connection's
        transform, so simulating the network reproduces the fitted outputs
        (exactly where `predict` is exact: non-spiking neurons of the types it
        lists and the exact memory).

        **Regularisation.** Without a ``solver``, the weights are regularised
        least squares (ridge) with the ridge parameter chosen from the data:
        the path of nengo ``LstsqL2`` ``reg`` values from 1e-6 to 1
        (``FIT_REGS``) is solved from one eigendecomposition and the one with
        the least error on data it was not fitted to is chosen. With targets at
        every step, a fifth of the sequences (or, with fewer than 5 sequences,
        the last fifth of the steps of each) is held out, the path solved on the
        rest, and the weights solved again on all the data with the chosen
        ``reg``. With targets at the last step only, whose rows (one per
        sequence) are independent, each sequence is left out in turn
        (leave-one-out, in closed form from the eigendecomposition of all the
        sequences, which also gives the weights). Either way `fit` takes about
        1.3 times as long as with a fixed ``LstsqL2`` (psDigits and Mackey-Glass,
        1000 neurons): the eigendecomposition costs several solves, but less
        than computing the activities. For spiking hidden neurons the solve
        also accounts for the spike noise of the activities that the output
        connection delivers: each neuron's spike train is taken as regular at
        its rate, filtered by ``synapse``, and the variance of that noise over
        the training data is added to the diagonal of the activities'
        correlation (the weights least-squares optimal in expectation over the
        noise), on the path and in the held-out error.

        **Hidden layer from data.** With ``init="data"``, the kernels and biases
        that the LMU drew itself (none of ``kernels["memory"]``,
        ``kernels["input"]``, ``kernels["bias"]`` given) are drawn again,
        before solving, from the same random encoders and rates but with the
        normalisation and intercepts of the data, in place of the white noise
        the constructor assumes. The hidden layer's inputs (memory states, and
        the input with ``input_to_hidden``) are centred on their means over
        ``inputs``; every other neuron sees them whitened (each direction of
        the data at unit variance, ``whitening``), the others normalised as the
        constructor does but with each memory channel and the input rescaled
        to the data's rms (whitening helps data unlike white noise, such as
        digits, and hurts where small directions do not matter; the solve
        weighs both halves). Each neuron's intercept is its projection at a
        random quantile of the training steps. The hidden Ensemble's gain and
        bias and the connections into it change with them (see `kernels`).
        It is not the default (``init=None`` keeps the hidden layer): over
        ``benchmarks/fit_defaults.py``'s tasks it lowered the error of
        RectifiedLinear networks by 20-40% on Mackey-Glass and the digits and
        of Tanh by 60% on Mackey-Glass, but raised it by 10-13% for
        RectifiedLinear on two other tasks, by 50-60% for LIFRate on two and by
        4-18% for Tanh on four.

        A Simulator built before `fit` keeps the weights it was built with;
        Simulators built afterwards get the new ones.

        Parameters
        ----------
        inputs : (n_seqs, n_steps, size_in) array_like
            Input sequences, one row per simulator time step (at least one
            sequence of at least one step).
        targets : (n_seqs, n_steps, size_out) or (n_seqs, size_out) array_like
            Target outputs at every step, or at the last step only.
        solver : nengo.solvers.Solver, optional
            Solver for the weights, in place of the automatic regularisation
            (for example ``nengo.solvers.LstsqL2(reg=1e-3)``, whose
            regularisation is relative to the largest activity). Must solve
            decoders (``weights=False``).
        init : {None, "data"}, optional
            Whether to draw the hidden layer again from the data first (above).

        Returns
        -------
        info : dict
            The solver's information: ``"rmses"``, the rms error of each output
            dimension on the training data (of the rates, for spiking neurons),
            and without a ``solver``: ``"reg"``, the chosen ridge parameter as
            nengo's ``LstsqL2(reg=...)`` takes it, ``"regs"`` and
            ``"held_out_rmses"``, the path and its held-out (or leave-one-out)
            rms errors, and
            ``"spike_noise"``, the variance added for each neuron (zeros for
            rate neurons); ``"init"``, whether the hidden layer was drawn from
            the data.

        Examples
        --------
        Fit the network to delay its input by 20 steps:

        >>> import nengo
        >>> lmu = LMU(theta=0.05, order=8, n_hidden=100, size_out=1,
        ...           neuron_type=nengo.RectifiedLinear(), seed=0)
        >>> rng = np.random.default_rng(0)
        >>> inputs = rng.standard_normal((20, 200, 1)).cumsum(axis=1) * 0.05
        >>> targets = np.zeros_like(inputs)
        >>> targets[:, 20:] = inputs[:, :-20]
        >>> info = lmu.fit(inputs, targets)
        >>> bool(np.sqrt(np.mean((lmu.predict(inputs) - targets) ** 2))
        ...      < 0.2 * np.std(targets))
        True
        """
        if self.size_out is None:
            raise ValidationError(
                "must be set to fit output weights (with size_out=None the output "
                "is the hidden activities, which have no weights)",
                attr="size_out",
                obj=self,
            )
        inputs = self._check_sequences(inputs)
        try:
            last_step_only = np.ndim(targets) == 2
        except ValueError:  # ragged; check_matrix says what is expected
            last_step_only = False
        if last_step_only:
            targets = check_matrix(
                targets, "targets", (len(inputs), self.size_out), obj=self
            )
        else:
            targets = check_matrix(
                targets, "targets", inputs.shape[:2] + (self.size_out,), obj=self
            )
        if solver is not None and (
            not isinstance(solver, nengo.solvers.Solver) or solver.weights
        ):
            raise ValidationError(
                f"must be a nengo Solver of decoders, weights=False (got {solver!r})",
                attr="solver",
                obj=self,
            )
        if init not in ("data", None):
            raise ValidationError(
                f"must be 'data' or None (got {init!r})", attr="init", obj=self
            )
        redraw = init == "data"
        if redraw and (self.linear_hidden or not self._drawn_kernels):
            raise ValidationError(
                "is 'data', which draws the hidden layer's kernels again, but "
                + (
                    "a linear hidden layer (Direct) has none to draw"
                    if self.linear_hidden
                    else "they were given (kernels['memory'], 'input' or 'bias')"
                ),
                attr="init",
                obj=self,
            )
        if redraw:
            self._draw_from_data(inputs)

        activities = self._activities(inputs, last_step_only=last_step_only)
        activities = activities.reshape(-1, self.n_hidden)
        if solver is None:
            held_out = _held_out_rows(inputs.shape[:2], last_step_only)
            noise = self._spike_noise(activities)
            decoders, info = ridge_fit(
                activities, targets.reshape(-1, self.size_out), held_out, noise
            )
        else:
            decoders, info = solver(activities, targets.reshape(-1, self.size_out))
        info["init"] = redraw
        self._cell_weights["W_y"] = decoders.T
        self.weight_connections["W_y"].transform = decoders.T
        return info

    def train(
        self,
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
        """Train the whole cell by backpropagation (JAX), and install the weights.

        Trains every weight the cell has (the encoders ``"input"``, ``"bias"``,
        ``"hidden"``, ``"memory"`` and the kernels ``"memory"``, ``"input"``,
        ``"hidden"``, ``"bias"``, ``"output"`` that exist), and ``theta`` if
        ``train_theta``, with Adam on minibatches. The forward pass is
        `predict`'s computation (the same step timing, synapses and memory lag);
        where the neurons' rate function has no useful gradient (LIF below and
        at threshold) the gradient is a smooth surrogate's. When it returns the
        network holds the trained weights (the best on the validation set if
        there is one): `predict`, and a nengo simulation with rate neurons,
        reproduce the trained outputs. It may be called before or after a
        Simulator is built from the network: a simulator built afterwards has the
        trained weights, one built before keeps the weights it was built with.

        Needs the ``train`` extra: ``pip install nengo-lmu[train]`` (JAX and
        optax). Training runs on JAX's default device.

        Parameters
        ----------
        inputs : (n_seqs, n_steps, size_in) array_like
            Input sequences, one row per simulator time step.
        targets : (n_seqs, n_steps, size_out) or (n_seqs, size_out) array_like
            Target outputs at every step, or at the last step only (then the
            memory is evaluated in its fastest parallel form).
        epochs : int
            Passes over the training sequences (>= 1).
        loss : {"mse", "crossentropy"}, optional
            Mean squared error, or softmax cross-entropy of the outputs as
            logits against one-hot ``targets``.
        batch_size : int, optional
            Sequences per update.
        learning_rate : float, optional
            Adam's learning rate (its initial one with a schedule).
        schedule : {"constant", "cosine"}, optional
            The learning rate over the updates: constant, or decaying from
            ``learning_rate`` to 0 along half a cosine over all ``epochs``
            (its end is not reached if training stops early).
        weight_decay : float, optional
            Decoupled weight decay (AdamW; Loshchilov and Hutter 2019) of every
            trained weight, per update and relative to the learning rate
            (>= 0; 0 is plain Adam).
        validation_split : float, optional
            Fraction of the sequences (the last ones, in [0, 1)) held out to
            choose the best epoch.
        patience : int or None, optional
            Stop after this many epochs without a better validation loss.
        train_theta : bool, optional
            Train the memory's window length too (exact memory only).
        noise : float, optional
            Standard deviation of Gaussian noise added to the hidden activities
            in training, which makes the outputs robust to spike noise.
        surrogate_width : float, optional
            Width (in units of current) of the LIF surrogate gradient.
        seed : int or None, optional
            Seed of the minibatch order and the noise.
        progress_bar : bool or nengo.utils.progress.ProgressBar, optional
            Nengo's progress bar (True: the default one).

        Returns
        -------
        history : dict
            ``"loss"`` (training loss of each epoch), ``"epochs"``, and with a
            validation set ``"val_loss"``, ``"best_epoch"`` and (cross-entropy)
            ``"val_accuracy"``.

        Examples
        --------
        Train a small network to report the sign of the sum of its input:

        >>> import nengo
        >>> lmu = LMU(theta=0.02, order=4, n_hidden=16, size_out=2,
        ...           neuron_type=nengo.RectifiedLinear(), seed=0)
        >>> rng = np.random.default_rng(0)
        >>> inputs = rng.standard_normal((200, 20, 1))
        >>> labels = (inputs.sum(axis=(1, 2)) > 0).astype(int)
        >>> history = lmu.train(inputs, np.eye(2)[labels], epochs=20,
        ...                     loss="crossentropy", learning_rate=0.01,
        ...                     seed=0, progress_bar=False)
        >>> accuracy = np.mean(lmu.predict(inputs)[:, -1].argmax(-1) == labels)
        >>> bool(accuracy > 0.9)
        True
        """
        try:
            training = importlib.import_module("nengo_lmu.training")
        except ImportError as error:
            if error.name not in ("jax", "jaxlib", "optax"):
                raise
            raise ValidationError(
                f"needs JAX and optax, which are not installed ({error}): "
                "pip install nengo-lmu[train]",
                attr="train",
                obj=self,
            ) from None
        return training.train_lmu(
            self,
            inputs,
            targets,
            epochs,
            loss=loss,
            batch_size=batch_size,
            learning_rate=learning_rate,
            schedule=schedule,
            weight_decay=weight_decay,
            validation_split=validation_split,
            patience=patience,
            train_theta=train_theta,
            noise=noise,
            surrogate_width=surrogate_width,
            seed=seed,
            progress_bar=progress_bar,
        )

    def _install_weights(self, weights, theta=None):
        """Make ``weights`` (cell weights by name) and ``theta`` the network's."""
        gain = self._hidden_gain
        for name, value in weights.items():
            self._cell_weights[name] = value
            if name == "bias" and not self.linear_hidden:
                self._set_gain_bias(gain, value)
                continue
            connection = self.weight_connections[name]
            if connection.pre_obj is not self.input and value.ndim == 1:
                value = value[:, None]  # from the constant Node
            elif isinstance(connection.post_obj, nengo.ensemble.Neurons):
                # nengo multiplies the input of neurons by their gain
                value = value / gain[:, None]
            connection.transform = value
        if theta is None:
            return
        memory = self.memory
        if memory.n_neurons is not None:
            raise ValidationError(
                "cannot be changed in a neural memory once it is constructed",
                attr="theta",
                obj=self,
            )
        # theta is read-only once set; nengo resets a parameter by deleting it
        for network in (memory, self):
            del network.theta
            network.theta = theta
        memory.A, memory.B = legendre_delay(theta, memory.order)
        memory.Ad, memory.Bd = legendre_discretization(
            theta, memory.order, memory.dt, method=memory.discretizer
        )
        for connection in memory.connections:  # the exact memory's Ad and Bd
            if connection.pre_obj is memory.output:
                connection.transform = memory.Ad
            elif connection.post_obj is memory.output:
                connection.transform = memory.Bd

    def _check_sequences(self, inputs):
        inputs = check_matrix(inputs, "inputs", (None, None, self.size_in), obj=self)
        if inputs.size == 0:
            raise ValidationError(
                f"must hold at least one sequence of at least one step (got shape "
                f"{inputs.shape})",
                attr="inputs",
                obj=self,
            )
        return inputs

    def _activities(self, inputs, last_step_only=False, memory=False):
        """Hidden activities as the output connection delivers them (and with
        ``memory``, the memory states the hidden layer sees)."""
        n_seqs, n_steps, _ = inputs.shape
        feedback = loop_transfer_function(self.synapse or nengo.Lowpass(0), self.dt)
        cell_weights = {
            name: value
            for name, value in self._cell_weights.items()
            if name in CELL_WEIGHT_SHAPES
        }
        if self.synapse is not None:
            num, den = loop_transfer_function(self.synapse, self.dt)
            num = np.concatenate([np.zeros(len(den) - len(num)), num])
        chunk = max(1, ACTIVITY_CHUNK_SIZE // (n_steps * self.n_hidden))
        activities, states = [], []
        for start in range(0, n_seqs, chunk):
            hidden, seen = evaluate_cell(
                inputs[start : start + chunk],
                self.memory.Ad,
                self.memory.Bd,
                cell_weights,
                self._rates,
                feedback=feedback,
                memory_delay=self.memory.lag,
            )
            if self.synapse is not None:
                hidden = scipy.signal.lfilter(num, den, hidden, axis=1)
            activities.append(hidden[:, -1] if last_step_only else hidden)
            states.append(seen)
        if memory:
            return np.concatenate(activities), np.concatenate(states)
        return np.concatenate(activities)

    def _rates(self, currents):
        """The hidden layer's activation: its neurons' rates for ``currents``."""
        if self.linear_hidden:
            return currents
        flat = currents.reshape(-1, self.n_hidden)
        ones, zeros = np.ones(self.n_hidden), np.zeros(self.n_hidden)
        return self.neuron_type.rates(flat, ones, zeros).reshape(currents.shape)

    def _spike_noise(self, activities):
        """Mean variance of each neuron's spike noise around ``activities`` (the
        filtered rates) at the output connection; zeros for rate neurons."""
        if self.linear_hidden or not self.neuron_type.spiking:
            return np.zeros(self.n_hidden)
        amplitude = getattr(self.neuron_type, "amplitude", 1.0)
        rates = np.abs(activities) / amplitude
        grid, variance = spike_noise_variance(self.synapse, self.dt)
        return amplitude**2 * np.interp(rates, grid, variance).mean(axis=0)

    def _draw_from_data(self, inputs):
        """Draw the hidden layer's kernels again for the statistics of the
        hidden layer's inputs over ``inputs`` (see `fit`)."""
        _, states = self._activities(inputs[:, :, :], memory=True)
        included = {"W_x": "W_x" in self._cell_weights}
        parts = [states] + ([inputs] if included["W_x"] else [])
        samples = np.concatenate(parts, axis=-1).reshape(
            -1, states.shape[-1] + (self.size_in if included["W_x"] else 0)
        )
        rng = np.random.RandomState(self.kernel_seed)
        weights = self._initial_weights(self.neuron_type, included, rng, samples)
        weights.pop("gain")
        # as for a given bias: the connections into the neurons are divided by
        # the gain, so any gives the same currents; this one keeps the
        # max_rates and intercepts nengo reports finite
        gain = np.abs(1 - weights["bias"]) + 2
        for name in ("W_m", "W_x", "bias"):
            if name in self._cell_weights:
                self._cell_weights[name] = weights[name]
        for name in ("W_m", "W_x"):
            if name in self.weight_connections:
                connection = self.weight_connections[name]
                connection.transform = weights[name] / gain[:, None]
        self._set_gain_bias(gain, weights["bias"])

    def _set_gain_bias(self, gain, bias):
        """Give the hidden neurons an explicit gain and bias (the connections
        into them must already be divided by ``gain``)."""
        self.hidden.gain = gain
        self.hidden.bias = bias
        # which gain and bias override; nengo warns if they are not the defaults
        self.hidden.max_rates = nengo.Ensemble.max_rates.default
        self.hidden.intercepts = nengo.Ensemble.intercepts.default
        self._hidden_gain = gain

    @classmethod
    def from_keras(cls, layer, dt=0.001, neuron_type=None, **kwargs):
        """A network of this class computing what a trained KerasLMU layer computes.

        One Keras step is one nengo time step of ``dt``: theta of ``n`` steps
        becomes ``n * dt`` seconds, and the memory is discretised as the layer's
        (``"zoh"`` or ``"euler"``), so the network's ``output`` at step ``k``
        equals the layer's output at step ``k`` (to float32 rounding with a
        non-spiking ``neuron_type``) when the input is presented one step per
        time step with ``synapse=None``. The layer is read by
        `nengo_lmu.interop.keras.keras_lmu_arguments`.

        Supported: ``memory_d`` >= 1, ``hidden_to_memory``, ``memory_to_memory``,
        ``input_to_hidden``, ``use_bias``, a trained ``theta``, and the hidden
        cells ``keras.layers.Dense`` and ``keras.layers.SimpleRNNCell`` (with or
        without bias) with ``linear``, ``relu``, ``tanh`` or ``sigmoid``
        activations, or ``hidden_cell=None``. Dropout does not act at inference
        and is ignored.

        Parameters
        ----------
        layer : keras_lmu.LMUCell, keras_lmu.LMU, keras_lmu.LMUFeedforward or keras.layers.RNN
            A built KerasLMU layer, or a Keras ``RNN`` around an ``LMUCell``.
        dt : float, optional
            Simulator time step, in seconds, that one Keras step becomes (> 0).
        neuron_type : nengo.neurons.NeuronType, optional
            Neurons of the hidden layer. None picks the non-spiking type that
            computes the activation exactly: ``Direct()`` (a Node) for ``linear``
            and for ``hidden_cell=None``, ``RectifiedLinear()``,
            ``Tanh(tau_ref=1)`` or ``Sigmoid(tau_ref=1)``. Any other type must
            fire at mean rates proportional to the activation: its input is scaled
            so that its output matches, so ``SpikingRectifiedLinear(amplitude=a)``
            deploys a ``relu`` layer on spiking neurons firing ``1 / a`` spikes
            per second per unit of activation, and ``RegularSpiking(Tanh(tau_ref=a),
            amplitude=a)`` a ``tanh`` layer.
        **kwargs
            Further arguments of the class (for example ``synapse``,
            ``memory_neurons``, ``label``, ``seed``); not those read from the
            layer.

        Returns
        -------
        LMU
            An instance of the class this is called on, with ``size_out=None``:
            its ``output`` is the layer's output (the hidden state).

        Raises
        ------
        nengo.exceptions.ValidationError
            If ``layer`` is not a built KerasLMU layer, uses an option that has no
            nengo counterpart (a hidden cell other than Dense or SimpleRNNCell, an
            unsupported activation, ``go_backwards``), ``neuron_type`` does not
            compute the activation, or ``kwargs`` sets what the layer sets.

        Examples
        --------
        .. code-block:: python

            import keras, keras_lmu
            layer = keras_lmu.LMU(memory_d=1, order=8, theta=50,
                                  hidden_cell=keras.layers.SimpleRNNCell(20),
                                  return_sequences=True)
            layer(np.zeros((1, 100, 1)))  # build (or train) the layer
            with nengo.Network() as model:
                lmu = LMU.from_keras(layer, dt=0.001)
        """
        arguments = keras_lmu_arguments(layer, dt=dt, neuron_type=neuron_type)
        clashes = sorted(set(arguments) & set(kwargs))
        if clashes:
            raise ValidationError(
                f"sets {clashes}, which the layer determines",
                attr="kwargs",
                obj=cls,
            )
        return cls(**arguments, **kwargs)

    def _weights(self, encoders, kernels, neuron_type, options, rng):
        """The cell's weight arrays: given ones checked, the others initialised."""
        encoders = {} if encoders is None else dict(encoders)
        kernels = {} if kernels is None else dict(kernels)
        memory_size = self.memory_d * self.order
        shapes = {
            "e_x": (self.memory_d, self.size_in),
            "u_bias": (self.memory_d,),
            "e_h": (self.memory_d, self.n_hidden),
            "e_m": (self.memory_d, memory_size),
            "W_m": (self.n_hidden, memory_size),
            "W_x": (self.n_hidden, self.size_in),
            "W_h": (self.n_hidden, self.n_hidden),
            "bias": (self.n_hidden,),
            "W_y": (self.size_out or 0, self.n_hidden),
        }
        arrays = {"encoders": encoders, "kernels": kernels}
        given = {
            name: arrays[group].pop(key, None)
            for name, (group, key) in _SOURCES.items()
        }
        for name, unknown in arrays.items():
            if unknown:
                raise ValidationError(
                    f"has unknown keys {sorted(unknown)}", attr=name, obj=self
                )
        included = {name: options[option] for name, option in _OPTION_OF.items()}
        weights = {}
        for name, shape in shapes.items():
            group, key = _SOURCES[name]
            attr = f"{group}[{key!r}]"
            if not included.get(name, True):
                if given[name] is not None:
                    raise ValidationError(
                        f"is given, but {_OPTION_OF[name]}=False", attr=attr, obj=self
                    )
                continue
            if given[name] is not None:
                weights[name] = check_matrix(given[name], attr, shape, obj=self)
        # The sampled kernels need the memory's realisation: skip both when given.
        sampled = {"W_m", "W_x"} if included["W_x"] else {"W_m"}
        initial = self._initial_weights(
            neuron_type, included, rng, sample_kernels=not sampled <= set(weights)
        )
        if "bias" in weights:
            # The connections into `neurons` are divided by the gain (nengo
            # multiplies by it), so any gain gives the same currents; this one
            # keeps the max_rates and intercepts nengo reports finite.
            initial["gain"] = np.abs(1 - weights["bias"]) + 2
        if "bias" in weights or self.linear_hidden:
            # Explicit gain and bias; nengo's default max_rates and intercepts,
            # which they override, keep a parent config's from being reported.
            initial["tuning"] = dict(
                gain=initial["gain"],
                bias=weights.get("bias", initial["bias"]),
                max_rates=nengo.Ensemble.max_rates.default,
                intercepts=nengo.Ensemble.intercepts.default,
            )
        else:
            # nengo derives the same gain and bias from these, and the ensemble
            # reports the tuning its neurons have.
            initial["tuning"] = dict(
                max_rates=initial.pop("max_rates"),
                intercepts=initial.pop("intercepts"),
            )
        initial.pop("max_rates", None)
        initial.pop("intercepts", None)
        weights.update(
            {
                name: value
                for name, value in initial.items()
                if name not in weights and included.get(name, True)
            }
        )
        return weights

    def _initial_weights(
        self, neuron_type, included, rng, samples=None, sample_kernels=True
    ):
        """The default weights; with ``samples`` (rows of the hidden layer's
        inputs: memory states, then the input with ``input_to_hidden``), the
        kernels' normalisation and intercepts come from them. Without
        ``sample_kernels``, no ``W_m`` or ``W_x`` (they are all given)."""
        memory_size = self.memory_d * self.order
        input_size = memory_size + (self.size_in if included["W_x"] else 0)
        # 200 to 400 Hz, or up to 95% of the rate limit of types that have one
        tau_ref = getattr(neuron_type, "tau_ref", 0)
        top_rate = min(400, 0.95 / tau_ref) if tau_ref > 0 else 400
        max_rates = _configured(
            "max_rates", nengo.dists.Uniform(top_rate / 2, top_rate)
        )
        max_rates = nengo.dists.get_samples(max_rates, self.n_hidden, rng=rng)
        intercepts = _configured("intercepts", nengo.dists.Uniform(-0.5, 0.5))
        intercepts = nengo.dists.get_samples(intercepts, self.n_hidden, rng=rng)
        mean = np.zeros(input_size)
        if sample_kernels:
            encoders = nengo.dists.ScatteredHypersphere(surface=True).sample(
                self.n_hidden, input_size, rng=rng
            )
            # Each memory channel's state to unit rms, the input by radius.
            _, T_inv = self.memory.realization()
            normalise = scipy.linalg.block_diag(
                np.kron(np.eye(self.memory_d), T_inv),
                np.eye(input_size - memory_size) / (self.radius / 2),
            )
            directions = encoders @ normalise
        if samples is not None:
            channels = [self.order] * self.memory_d + [input_size - memory_size]
            mean, normalisations = data_normalisations(samples, normalise, channels)
            for i, matrix in enumerate(normalisations):
                part = slice(i, None, len(normalisations))
                directions[part] = encoders[part] @ matrix
            # distinct steps: no neuron's threshold exactly at a repeated state
            # (such as the zero state at the start of every sequence)
            rows = np.unique(samples, axis=0)
            rows = rows[rng.permutation(len(rows))[:INTERCEPT_SAMPLES]]
            projections = directions @ (rows - mean).T / HIDDEN_RADIUS
            levels = rng.uniform(size=self.n_hidden)
            intercepts = np.array(
                [np.quantile(p, q) for p, q in zip(projections, levels)]
            )
            intercepts = np.minimum(intercepts, MAX_DATA_INTERCEPT)
        if self.linear_hidden:
            gain, bias = np.ones(self.n_hidden), np.zeros(self.n_hidden)
        else:
            gain, bias = neuron_type.gain_bias(max_rates, intercepts)

        if self.memory_d == self.size_in:
            input_encoders = np.eye(self.memory_d)
        else:
            input_encoders = np.ones((self.memory_d, self.size_in)) / self.size_in
        weights = dict(
            e_x=input_encoders,
            e_h=np.zeros((self.memory_d, self.n_hidden)),
            e_m=np.zeros((self.memory_d, memory_size)),
            W_h=np.zeros((self.n_hidden, self.n_hidden)),
            gain=gain,
            bias=bias,
            max_rates=max_rates,
            intercepts=intercepts,
            W_y=np.zeros((self.size_out or 0, self.n_hidden)),
        )
        if sample_kernels:
            kernels = gain[:, None] * directions / HIDDEN_RADIUS
            weights["bias"] = bias - kernels @ mean
            weights["W_m"] = kernels[:, :memory_size]
            if included["W_x"]:
                weights["W_x"] = kernels[:, memory_size:]
        return weights


def _configured(name, default):
    """An Ensemble parameter set in the current config, or else ``default``."""
    value = nengo.Config.default(nengo.Ensemble, name)
    return default if value == getattr(nengo.Ensemble, name).default else value


# Where each weight comes from in the constructor's arguments.
_SOURCES = {
    "e_x": ("encoders", "input"),
    "u_bias": ("encoders", "bias"),
    "e_h": ("encoders", "hidden"),
    "e_m": ("encoders", "memory"),
    "W_m": ("kernels", "memory"),
    "W_x": ("kernels", "input"),
    "W_h": ("kernels", "hidden"),
    "bias": ("kernels", "bias"),
    "W_y": ("kernels", "output"),
}

# The weights that exist only when their option is set.
_OPTION_OF = {
    "e_h": "hidden_to_memory",
    "e_m": "memory_to_memory",
    "W_x": "input_to_hidden",
    "W_h": "hidden_to_hidden",
}


def _kernel_seed(network):
    """A seed for the kernels of an unseeded LMU, from nengo's seed chain.

    nengo seeds an unseeded object at build time from its parent network's seed
    and its place among the parent's objects (`nengo.builder.network`); the
    kernels are drawn when the LMU is created, before its siblings are all
    known, so this derives the seed from the nearest seeded network around the
    LMU and the LMU's path of places among the networks under it. Without a
    seeded network around it the seed comes from the path alone (a fixed seed
    outside any network), so that it is the same on every run.
    """
    path, child, seed = [], network, None
    for parent in reversed(list(nengo.Network.context)):
        places = [i for i, sibling in enumerate(parent.networks) if sibling is child]
        if not places:
            break
        path.insert(0, places[0])
        if parent.seed is not None:
            seed = parent.seed
            break
        child = parent
    entropy = [0, *path] if seed is None else [1, seed, *path]
    sequence = np.random.SeedSequence(entropy)
    return int(sequence.generate_state(1)[0] % np.iinfo(np.int32).max)


def data_normalisations(samples, normalise, channels):
    """The mean of the rows of ``samples`` (the hidden layer's inputs) and two
    normalisations of them: whitening (every direction of the data at unit
    variance, ``whitening``), and ``normalise`` (the constructor's) with each of
    ``channels`` (sizes of consecutive blocks: memory channels, then the
    input) rescaled to unit rms per dimension."""
    if len(samples) > WHITENING_SAMPLES:
        rows = np.linspace(0, len(samples) - 1, WHITENING_SAMPLES).astype(int)
        samples = samples[rows]
    mean, white = whitening(samples)
    normalised = (samples - mean) @ normalise.T
    scale = np.ones(len(mean))
    start = 0
    for size in channels:
        block = slice(start, start + size)
        power = np.mean(normalised[:, block] ** 2) if size else 1.0
        scale[block] = 1 / np.sqrt(max(power, 1e-300))
        start += size
    return mean, [white, scale[:, None] * normalise]


def whitening(samples, floor=None):
    """Mean and whitening matrix of the rows of ``samples``: ``(x - mean) @
    matrix.T`` has unit covariance, except along directions whose variance is
    under ``floor`` times the largest, which are scaled as if at that floor."""
    floor = WHITENING_FLOOR if floor is None else floor
    mean = samples.mean(axis=0)
    variances, vectors = np.linalg.eigh(np.cov(samples, rowvar=False, bias=True))
    variances = np.maximum(variances, floor * max(variances.max(), 1e-300))
    return mean, (vectors / np.sqrt(variances)) @ vectors.T


def _held_out_rows(shape, last_step_only):
    """Which rows of the stacked activities `LMU.fit` holds out: with targets
    at the last step only (one independent row per sequence), None, for
    leave-one-out; otherwise every fifth sequence, or with fewer than 5, the
    last fifth of the steps of each."""
    if last_step_only:
        return None
    n_seqs, n_steps = shape
    held_out = np.zeros((n_seqs, n_steps), dtype=bool)
    if n_seqs >= HELD_OUT_EVERY:
        held_out[HELD_OUT_EVERY - 1 :: HELD_OUT_EVERY] = True
    else:
        held_out[:, n_steps - n_steps // HELD_OUT_EVERY :] = True
    return held_out.ravel()


def ridge_fit(activities, targets, held_out=None, noise=None, regs=None):
    """Ridge regression with the ridge parameter chosen on data it was not fitted to.

    Solves ``(A.T A + n diag(noise) + n (reg * A.max())**2 I) X = A.T Y`` (``n``
    rows; nengo's ``LstsqL2`` for ``noise`` zero) for each ``reg`` of ``regs``
    from one eigendecomposition, measures the error of each on rows it was not
    fitted to (plus the expected noise term ``sum_i X_i**2 noise_i`` per row),
    and solves on all rows with the best:

    - ``held_out`` (boolean, one per row): fitted on the other rows, measured on
      these; for rows that depend on each other, such as the steps of a
      sequence, which must be held out together;
    - ``held_out=None``: leave-one-out, each row predicted by the fit to all the
      others (in closed form, from the eigendecomposition of all rows, which
      also gives the final weights); for independent rows, such as one per
      sequence.

    With fewer than two rows, or ``held_out`` all true or all false, it solves
    with ``regs``' median.

    Returns the weights ``X`` and a dict: ``"reg"``, ``"regs"``,
    ``"held_out_rmses"`` (rms over outputs), ``"rmses"`` (on all rows, of each
    output) and ``"spike_noise"`` (``noise``).
    """
    n_rows, n_neurons = activities.shape
    noise = np.zeros(n_neurons) if noise is None else noise
    scale = max(np.max(activities), 1e-300)
    regs = np.asarray(FIT_REGS if regs is None else regs, dtype=float)
    ridges = n_rows * (regs * scale) ** 2
    held_out_rmses = np.full(len(regs), np.nan)
    if held_out is None and n_rows >= 2:
        eigenvalues, vectors = np.linalg.eigh(
            activities.T @ activities + np.diag(n_rows * noise)
        )
        rotated = activities @ vectors
        projected = rotated.T @ targets
        squared = rotated**2
        for i, ridge in enumerate(ridges):
            coefficients = projected / (eigenvalues + ridge)[:, None]
            leverage = squared @ (1 / (eigenvalues + ridge))
            residuals = targets - rotated @ coefficients
            residuals /= np.maximum(1 - leverage, 1e-12)[:, None]
            error = np.sum(residuals**2)
            if np.any(noise):
                error += n_rows * np.sum(noise @ (vectors @ coefficients) ** 2)
            held_out_rmses[i] = np.sqrt(error / targets.size)
        best = np.argmin(held_out_rmses)
        weights = vectors @ (projected / (eigenvalues + ridges[best])[:, None])
        reg = regs[best]
    else:
        train = np.zeros(n_rows, dtype=bool) if held_out is None else ~held_out
        if np.any(train) and not np.all(train):
            fit_rows, test_rows = activities[train], activities[~train]
            gram = fit_rows.T @ fit_rows
            eigenvalues, vectors = np.linalg.eigh(gram + np.diag(train.sum() * noise))
            projected = vectors.T @ (fit_rows.T @ targets[train])
            test_projected = test_rows @ vectors
            for i, reg in enumerate(regs):
                ridge = train.sum() * (reg * scale) ** 2
                weights = projected / (eigenvalues + ridge)[:, None]
                error = np.sum((targets[~train] - test_projected @ weights) ** 2)
                if np.any(noise):
                    error += (~train).sum() * np.sum(noise @ (vectors @ weights) ** 2)
                held_out_rmses[i] = np.sqrt(error / targets[~train].size)
            reg = regs[np.argmin(held_out_rmses)]
            gram += test_rows.T @ test_rows
        else:
            reg = np.median(regs)
            gram = activities.T @ activities
        gram[np.diag_indices(n_neurons)] += n_rows * (noise + (reg * scale) ** 2)
        try:
            weights = scipy.linalg.solve(gram, activities.T @ targets, assume_a="pos")
        except np.linalg.LinAlgError:  # not numerically positive definite
            weights = np.linalg.lstsq(gram, activities.T @ targets, rcond=None)[0]
    rmses = np.sqrt(np.mean((targets - activities @ weights) ** 2, axis=0))
    info = dict(
        reg=float(reg),
        regs=regs,
        held_out_rmses=held_out_rmses,
        rmses=rmses,
        spike_noise=noise,
    )
    return weights, info


def spike_noise_variance(synapse, dt, n_rates=256, n_harmonics=4096):
    """Variance of a regular spike train's noise through ``synapse`` in discrete
    time, per unit spike amplitude, on a grid of firing rates (Hz) up to
    ``2 / dt``.

    nengo's regular spikes at rate ``r`` (height ``1 / dt``, on the steps where
    ``r t`` passes an integer) deviate from their mean ``r`` by a sum of
    sinusoids at ``2 pi k r dt`` radians per step of amplitude
    ``2 |sin(pi k r dt)| / (pi k dt)``, whatever their phase, so their variance
    through a filter of frequency response ``H`` is
    ``sum_k 2 sin(pi k r dt)**2 / (pi k dt)**2 |H|**2`` (without a synapse,
    ``r / dt - r**2``). Returns the grid and the variances.
    """
    grid = np.concatenate([[0.0], np.geomspace(0.1, 2 / dt, n_rates)])
    cycles = grid[:, None] * dt * np.arange(1, n_harmonics + 1)
    power = 2 * (np.sin(np.pi * cycles) / (np.pi * dt)) ** 2
    power /= np.arange(1, n_harmonics + 1) ** 2
    if synapse is not None:
        num, den = loop_transfer_function(synapse, dt)
        z = np.exp(2j * np.pi * cycles)
        power *= np.abs(np.polyval(num, z) / np.polyval(den, z)) ** 2
    return grid, power.sum(axis=1)
